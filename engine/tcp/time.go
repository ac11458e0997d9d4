package tcp

import (
	"fmt"
	"time"
)

// Time is a point in virtual time: microseconds since the start of a simulation. The
// engine never reads a real clock; time only moves when the simulator moves it.
type Time int64

// Add returns t advanced by d, rounded down to the microsecond.
func (t Time) Add(d time.Duration) Time { return t + Time(d/time.Microsecond) }

// Sub returns the duration t-u.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t-u) * time.Microsecond }

// String writes t as seconds with six decimals, tcpdump style: "1.000250".
func (t Time) String() string {
	sign := ""
	if t < 0 {
		sign, t = "-", -t
	}
	return fmt.Sprintf("%s%d.%06d", sign, t/1e6, t%1e6)
}

// Never is a deadline that is never reached.
const Never Time = 1<<63 - 1
