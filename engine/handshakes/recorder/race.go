//go:build race

package recorder

// raceSlowdown stretches the relay's quiet period under the race detector, where the
// stacks run several times slower and could pause mid-flight for longer than usual.
const raceSlowdown = 4
