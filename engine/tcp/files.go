package tcp

// A descriptor may name a regular file whose contents the caller gives (packetdrill's
// runner keeps the files its script's commands make): the only thing done with one is
// sendfile(2) to a socket, and close.

// fileDesc is an open regular file: its bytes and the file's own offset.
type fileDesc struct {
	data []byte
	off  int
}

// OpenFile gives a descriptor to a file holding data, read-only, as open(2) would
// return it; want is the number the caller asks for, as for socket().
func (s *Sockets) OpenFile(want int, data []byte) int {
	fd := PickFD(want, &s.nextFD, func(n int) bool { return s.fds[n] != nil })
	s.fds[fd] = &socket{file: &fileDesc{data: data}}
	return fd
}

// Sendfile copies up to count bytes of the file behind in to the socket out, as
// sendfile(2): from *off when off is not nil (and the file's offset stays), else from the
// file's offset, which moves past what was sent. It answers as Linux does: EBADF for a
// descriptor that is not open; when in is not a file, ESPIPE with an offset (do_sendfile:
// the source cannot be read at one) and EINVAL without; and out's errors as a write's; a count past the end sends
// what there is, 0 at the end.
func (s *Sockets) Sendfile(id, out, in int, off *int64, count int) (Result, bool, error) {
	src, dst := s.fds[in], s.fds[out]
	if src == nil || dst == nil {
		return Result{Ret: -1, Errno: "EBADF"}, true, nil
	}
	if src.file == nil && off != nil {
		return Result{Ret: -1, Errno: "ESPIPE"}, true, nil // a socket has no offset to read from
	}
	if src.file == nil || count < 0 {
		return Result{Ret: -1, Errno: "EINVAL"}, true, nil
	}
	pos := int64(src.file.off)
	if off != nil {
		pos = *off
	}
	if pos < 0 {
		return Result{Ret: -1, Errno: "EINVAL"}, true, nil
	}
	if pos >= int64(len(src.file.data)) || count == 0 {
		return Result{}, true, nil
	}
	data := src.file.data[pos:]
	data = data[:min(len(data), count)]
	res, ok, err := s.Do(id, &Call{Op: OpSend, Name: "sendfile", FD: out, Size: len(data), Data: data})
	if ok && err == nil && res.Ret > 0 && off == nil {
		src.file.off += int(res.Ret)
	}
	return res, ok, err
}
