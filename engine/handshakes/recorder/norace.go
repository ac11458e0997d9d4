//go:build !race

package recorder

const raceSlowdown = 1
