//go:build !unix

package main

// raiseFDLimit does nothing where there is no RLIMIT_NOFILE; 0 means the limit is unknown.
func raiseFDLimit() uint64 { return 0 }
