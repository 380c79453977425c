package egress

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/cryptobyte"
)

// TLS wire constants (RFC 8446).
const (
	recordHandshake   = 0x16
	recordHeaderLen   = 5
	maxRecordLen      = 1<<14 + 2048
	typeClientHello   = 1
	extServerName     = 0
	extECH            = 0xfe0d
	sniHostName       = 0
	maxClientHelloLen = 1 << 16
)

// errIncomplete means more bytes are needed before the ClientHello can be judged.
var errIncomplete = errors.New("incomplete ClientHello")

// clientHello is what the check needs of a ClientHello.
type clientHello struct {
	serverName string // the SNI host name, "" when none was sent
	ech        bool   // an encrypted_client_hello extension was offered
}

// readClientHello parses the TLS records at the start of b into the
// ClientHello they carry. It returns errIncomplete while the message is still
// arriving, and any other error for bytes that are not a well-formed
// ClientHello; n is how many bytes of b the records took.
func readClientHello(b []byte) (ch clientHello, n int, err error) {
	var msg []byte
	for {
		if len(b)-n < recordHeaderLen {
			return ch, 0, errIncomplete
		}
		hdr := b[n : n+recordHeaderLen]
		if hdr[0] != recordHandshake {
			return ch, 0, fmt.Errorf("record type %d before the ClientHello ended", hdr[0])
		}
		if hdr[1] != 3 {
			return ch, 0, fmt.Errorf("record version %d.%d", hdr[1], hdr[2])
		}
		l := int(hdr[3])<<8 | int(hdr[4])
		if l == 0 || l > maxRecordLen {
			return ch, 0, fmt.Errorf("record length %d", l)
		}
		if len(b)-n-recordHeaderLen < l {
			return ch, 0, errIncomplete
		}
		msg = append(msg, b[n+recordHeaderLen:n+recordHeaderLen+l]...)
		n += recordHeaderLen + l
		if len(msg) < 4 {
			continue
		}
		if msg[0] != typeClientHello {
			return ch, 0, fmt.Errorf("handshake message type %d, not a ClientHello", msg[0])
		}
		want := 4 + (int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3]))
		if want > maxClientHelloLen {
			return ch, 0, fmt.Errorf("ClientHello of %d bytes", want)
		}
		switch {
		case len(msg) < want:
			continue
		case len(msg) > want:
			return ch, 0, errors.New("bytes after the ClientHello in its records")
		}
		ch, err = parseClientHello(msg[4:])
		return ch, n, err
	}
}

// parseClientHello reads the body of a ClientHello message. It is as strict
// as crypto/tls about the parts the check relies on: one server_name
// extension with one host name, no duplicate extensions, no trailing dot.
func parseClientHello(body []byte) (clientHello, error) {
	var ch clientHello
	s := cryptobyte.String(body)
	var version uint16
	var random []byte
	var sessionID, suites, compression cryptobyte.String
	if !s.ReadUint16(&version) || !s.ReadBytes(&random, 32) ||
		!s.ReadUint8LengthPrefixed(&sessionID) || len(sessionID) > 32 ||
		!s.ReadUint16LengthPrefixed(&suites) || len(suites) < 2 || len(suites)%2 != 0 ||
		!s.ReadUint8LengthPrefixed(&compression) || len(compression) < 1 {
		return ch, errors.New("malformed ClientHello")
	}
	if s.Empty() {
		return ch, nil // no extensions, so no name
	}
	var exts cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&exts) || !s.Empty() {
		return ch, errors.New("malformed ClientHello extensions")
	}
	seen := make(map[uint16]bool, 16)
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return ch, errors.New("malformed ClientHello extension")
		}
		if seen[typ] {
			return ch, fmt.Errorf("extension %d twice", typ)
		}
		seen[typ] = true
		switch typ {
		case extServerName:
			name, err := parseServerName(data)
			if err != nil {
				return ch, err
			}
			ch.serverName = name
		case extECH:
			ch.ech = true
		}
	}
	return ch, nil
}

func parseServerName(data cryptobyte.String) (string, error) {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || list.Empty() || !data.Empty() {
		return "", errors.New("malformed server_name extension")
	}
	name := ""
	for !list.Empty() {
		var typ uint8
		var host cryptobyte.String
		if !list.ReadUint8(&typ) || !list.ReadUint16LengthPrefixed(&host) || len(host) == 0 {
			return "", errors.New("malformed server_name entry")
		}
		if typ != sniHostName {
			continue
		}
		if name != "" {
			return "", errors.New("two host names in server_name")
		}
		name = string(host)
		if strings.HasSuffix(name, ".") {
			return "", fmt.Errorf("server name %q ends with a dot", name)
		}
	}
	if name == "" {
		return "", errors.New("server_name without a host name")
	}
	return name, nil
}
