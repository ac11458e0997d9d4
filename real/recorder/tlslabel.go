package recorder

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"

	"synack/engine/handshakes"
)

// TLS content types (RFC 8446 §5.1).
const (
	ctChangeCipherSpec = 20
	ctAlert            = 21
	ctHandshake        = 22
	ctApplicationData  = 23
)

var handshakeNames = map[byte]string{
	1: "ClientHello", 2: "ServerHello", 4: "NewSessionTicket", 5: "EndOfEarlyData",
	8: "EncryptedExtensions", 11: "Certificate", 12: "ServerKeyExchange",
	13: "CertificateRequest", 14: "ServerHelloDone", 15: "CertificateVerify",
	16: "ClientKeyExchange", 20: "Finished",
}

// tlsLabeler names TLS records from their bytes. TLS 1.3 records after the ServerHello
// are decrypted with the connection's key log to see what they carry.
type tlsLabeler struct {
	secrets      map[string][]byte // key-log label -> secret, for this connection
	clientRandom []byte
	tls13        bool
	suite        uint16
	dir          [2]*direction
	responded    [2]bool // first application data seen from each side
}

type direction struct {
	aead   *fixedNonce // nil until the keys are known
	seq    uint64
	stage  int // 0 plaintext, 1 handshake keys, 2 application keys
	ccs    bool
	secret string
}

func newTLSLabeler(keyLog string) (*tlsLabeler, error) {
	l := &tlsLabeler{secrets: map[string][]byte{}, dir: [2]*direction{{}, {}}}
	sc := bufio.NewScanner(strings.NewReader(keyLog))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		b, err := hex.DecodeString(f[2])
		if err != nil {
			return nil, fmt.Errorf("key log: %v", err)
		}
		l.secrets[f[0]] = b
	}
	return l, nil
}

// records splits a byte stream into TLS records.
func records(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 5 {
			return nil, fmt.Errorf("truncated record header (%d bytes)", len(b))
		}
		n := 5 + int(binary.BigEndian.Uint16(b[3:5]))
		if len(b) < n {
			return nil, fmt.Errorf("record of %d bytes truncated at %d", n, len(b))
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out, nil
}

// label names one record sent by side and says what kind of message it is.
func (l *tlsLabeler) label(side int, rec []byte) (handshakes.Message, error) {
	m := handshakes.Message{Hex: hex.EncodeToString(rec), Kind: handshakes.KindOther}
	d := l.dir[side]
	body := rec[5:]
	switch rec[0] {
	case ctChangeCipherSpec:
		m.Kind = handshakes.KindHandshake
		if l.tls13 {
			m.Label, m.Shape = "ChangeCipherSpec (compatibility)", "CCS"
		} else {
			m.Label, m.Shape = "ChangeCipherSpec", "CCS"
			d.ccs = true
		}
		return m, nil
	case ctAlert:
		m.Label, m.Shape = "Alert", "Alert"
		return m, nil
	case ctHandshake:
		m.Kind = handshakes.KindHandshake
		if d.ccs { // TLS 1.2: after ChangeCipherSpec the Finished is encrypted
			m.Label, m.Shape = "{Finished}", "{Finished}"
			return m, nil
		}
		names, err := l.handshake(body)
		if err != nil {
			return m, err
		}
		m.Label = strings.Join(names, ", ")
		m.Shape = m.Label
		return m, nil
	case ctApplicationData:
		if !l.tls13 {
			return l.appData(side, m, "[Application Data]"), nil
		}
		return l.decrypt(side, rec, m)
	}
	return m, fmt.Errorf("unknown record type %d", rec[0])
}

func (l *tlsLabeler) appData(side int, m handshakes.Message, label string) handshakes.Message {
	m.Label, m.Shape = label, "[Application Data]"
	if !l.responded[side] {
		l.responded[side] = true
		if side == client {
			m.Kind, m.Label = handshakes.KindRequest, label+" HTTP request"
		} else {
			m.Kind, m.Label = handshakes.KindResponse, label+" HTTP response"
		}
	}
	return m
}

// handshake names the plaintext handshake messages in body and learns what it needs:
// the client random, the version and cipher suite the server chose.
func (l *tlsLabeler) handshake(body []byte) ([]string, error) {
	var names []string
	for len(body) >= 4 {
		typ := body[0]
		n := int(body[1])<<16 | int(body[2])<<8 | int(body[3])
		if len(body) < 4+n {
			return nil, fmt.Errorf("handshake message of %d bytes truncated", n)
		}
		msg := body[4 : 4+n]
		name, ok := handshakeNames[typ]
		if !ok {
			name = fmt.Sprintf("handshake type %d", typ)
		}
		switch typ {
		case 1:
			if len(msg) < 34 {
				return nil, fmt.Errorf("short ClientHello")
			}
			l.clientRandom = msg[2:34]
		case 2:
			if err := l.serverHello(msg); err != nil {
				return nil, err
			}
		}
		names = append(names, name)
		body = body[4+n:]
	}
	return names, nil
}

func (l *tlsLabeler) serverHello(msg []byte) error {
	if len(msg) < 35 {
		return fmt.Errorf("short ServerHello")
	}
	p := 34
	p += 1 + int(msg[34]) // session id
	if len(msg) < p+3 {
		return fmt.Errorf("short ServerHello")
	}
	l.suite = binary.BigEndian.Uint16(msg[p:])
	p += 3
	if len(msg) < p+2 {
		return nil
	}
	exts := msg[p+2:]
	for len(exts) >= 4 {
		typ := binary.BigEndian.Uint16(exts)
		n := int(binary.BigEndian.Uint16(exts[2:]))
		if len(exts) < 4+n {
			return fmt.Errorf("ServerHello extension truncated")
		}
		if typ == 43 && n == 2 && binary.BigEndian.Uint16(exts[4:]) == 0x0304 {
			l.tls13 = true
		}
		exts = exts[4+n:]
	}
	if l.tls13 {
		for side, name := range [2]string{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET"} {
			if err := l.rekey(side, name, 1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *tlsLabeler) rekey(side int, label string, stage int) error {
	secret, ok := l.secrets[label]
	if !ok {
		return fmt.Errorf("key log has no %s", label)
	}
	var h func() hash.Hash
	keyLen := 16
	switch l.suite {
	case 0x1301:
		h = sha256.New
	case 0x1302:
		h, keyLen = sha512.New384, 32
	case 0x1303:
		h, keyLen = sha256.New, 32
	default:
		return fmt.Errorf("cipher suite %#04x is not a TLS 1.3 suite", l.suite)
	}
	key, err := expandLabel(h, secret, "key", keyLen)
	if err != nil {
		return err
	}
	iv, err := expandLabel(h, secret, "iv", 12)
	if err != nil {
		return err
	}
	var aead cipher.AEAD
	if l.suite == 0x1303 {
		aead, err = chacha20poly1305.New(key)
	} else {
		var b cipher.Block
		if b, err = aes.NewCipher(key); err == nil {
			aead, err = cipher.NewGCM(b)
		}
	}
	if err != nil {
		return err
	}
	l.dir[side] = &direction{aead: &fixedNonce{aead, iv}, stage: stage, secret: label}
	return nil
}

// expandLabel is HKDF-Expand-Label from RFC 8446 §7.1, with an empty context.
func expandLabel(h func() hash.Hash, secret []byte, label string, n int) ([]byte, error) {
	full := "tls13 " + label
	info := []byte{byte(n >> 8), byte(n), byte(len(full))}
	info = append(info, full...)
	info = append(info, 0)
	return hkdf.Expand(h, secret, string(info), n)
}

// fixedNonce XORs the record sequence number into the static IV (RFC 8446 §5.3).
type fixedNonce struct {
	cipher.AEAD
	iv []byte
}

func (f *fixedNonce) open(seq uint64, rec []byte) ([]byte, error) {
	nonce := append([]byte(nil), f.iv...)
	for i := 0; i < 8; i++ {
		nonce[len(nonce)-1-i] ^= byte(seq >> (8 * i))
	}
	return f.AEAD.Open(nil, nonce, rec[5:], rec[:5])
}

func (l *tlsLabeler) decrypt(side int, rec []byte, m handshakes.Message) (handshakes.Message, error) {
	d := l.dir[side]
	if d.aead == nil {
		return m, fmt.Errorf("encrypted record before the keys are known")
	}
	plain, err := d.aead.open(d.seq, rec)
	if err != nil {
		return m, fmt.Errorf("decrypting with %s: %v", d.secret, err)
	}
	d.seq++
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 {
		return m, fmt.Errorf("record with no content type")
	}
	inner, content := plain[i], plain[:i]
	open, close := "{", "}"
	if d.stage == 2 {
		open, close = "[", "]"
	}
	switch inner {
	case ctHandshake:
		m.Kind = handshakes.KindHandshake
		names, err := l.handshake(content)
		if err != nil {
			return m, err
		}
		m.Label = open + strings.Join(names, ", ") + close
		m.Shape = m.Label
		if names[len(names)-1] == "Finished" && d.stage == 1 {
			name := "CLIENT_TRAFFIC_SECRET_0"
			if side == server {
				name = "SERVER_TRAFFIC_SECRET_0"
			}
			if err := l.rekey(side, name, 2); err != nil {
				return m, err
			}
		}
		return m, nil
	case ctApplicationData:
		return l.appData(side, m, "[Application Data]"), nil
	case ctAlert:
		m.Label, m.Shape = open+"Alert"+close, "Alert"
		return m, nil
	}
	return m, fmt.Errorf("inner content type %d", inner)
}
