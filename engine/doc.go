// Package engine runs synack's TCP stories: a discrete-event simulator that wires the
// sans-I/O endpoints of package engine/tcp together through simulated links, the stories
// and specs that drive them, the lab sandbox, and the trace that records everything they
// do, with its writers (JSON lines, tcpdump text).
//
// The engine never reads a clock, never sleeps, starts no goroutines and uses no global
// randomness: time is a value the simulator moves, and every random number comes from a
// source seeded by the scenario. The same scenario and seed always produce a
// byte-identical trace.
package engine
