// Package traffic checks the capture importer (engine/capture, engine/passive) against
// real Linux traffic: its tests record connections on loopback and in a network
// namespace with tcpdump (curl and Go clients against local servers, a reset, a slow
// reader's zero window, losses and reordering from tc netem where the kernel has it, and
// from the tests' own relay between two namespaces' tun devices, which delays, loses
// and holds back packets, whether it has it or not) and require the same connections
// and the same TCP analysis flags as tshark, and the final states the kernel reports
// with ss. It has no code of its own outside its tests.
package traffic
