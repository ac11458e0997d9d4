package tcp

import "time"

// infoRTT adds tcp_info's smoothed round-trip time in microseconds (tcpi_rtt = srtt_us >>
// 3) once an RTT has been measured, unless the connection's Info already reports it.
// Checked against gtests' fastopen/client/syn-data-rtt-from-syn-data (an RTT taken from
// the SYN-ACK of a SYN that carried data).
func (c *Conn) infoRTT(info map[string]int64) {
	if !c.rttValid {
		return
	}
	if _, ok := info["rtt"]; !ok {
		info["rtt"] = int64(c.srtt / time.Microsecond)
	}
}
