//go:build unix

package main

import "syscall"

// raiseFDLimit lifts the soft open-file limit to the hard one (every session is a
// socket) and returns the limit now in force, 0 if unknown.
func raiseFDLimit() uint64 {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return 0
	}
	if l.Cur < l.Max {
		want := l.Max
		l.Cur = want
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
			syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
		}
	}
	return l.Cur
}
