//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"

	"synack/engine/packetdrill"
	"synack/real/kernel"
)

func init() {
	kernelRunner = func(ctx context.Context, s *packetdrill.Script) (packetdrill.Result, error) {
		res, err := kernel.Run(ctx, s)
		if errors.Is(err, kernel.ErrNoPrivilege) {
			return res, fmt.Errorf("%w: %v", errNoPrivilege, err)
		}
		return res, err
	}
}
