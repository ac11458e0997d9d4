// Package engine is synack's TCP engine: sans-I/O TCP endpoints that implement RFC 9293
// connection management, a discrete-event simulator that wires them together through
// simulated links, and the trace that records everything they do.
//
// The engine never reads a clock, never sleeps, starts no goroutines and uses no global
// randomness: time is a value passed in by the simulator, and every random number comes
// from a source seeded by the scenario. The same scenario and seed always produce a
// byte-identical trace.
package engine
