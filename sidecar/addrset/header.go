package addrset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// ipsetFlagListHeader asks a LIST for the set's header only (its element
// count included), not its members.
const ipsetFlagListHeader = 1 << 2

const attrTypeMask = ^uint16(unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER)

func (k *netlinkKernel) count(name string) (int, error) {
	hdr, err := k.readHeader(name)
	if err != nil {
		return 0, err
	}
	return int(hdr.elements), nil
}

// setHeader is what a header-only listing says about a set.
type setHeader struct {
	typ      string
	family   family
	maxElem  uint32
	timeout  bool
	elements uint32
}

func (k *netlinkKernel) readHeader(name string) (setHeader, error) {
	_, sock, err := k.open()
	if err != nil {
		return setHeader{}, err
	}
	req := &nl.NetlinkRequest{
		NlMsghdr: unix.NlMsghdr{
			Len:   unix.SizeofNlMsghdr,
			Type:  uint16(nl.IPSET_CMD_LIST | unix.NFNL_SUBSYS_IPSET<<8),
			Flags: uint16(nl.GetIpsetFlags(nl.IPSET_CMD_LIST)),
		},
		Sockets: map[int]*nl.SocketHandle{unix.NETLINK_NETFILTER: sock},
	}
	req.AddData(&nl.Nfgenmsg{NfgenFamily: unix.AF_INET, Version: nl.NFNETLINK_V0})
	req.AddData(nl.NewRtAttr(nl.IPSET_ATTR_PROTOCOL, nl.Uint8Attr(nl.IPSET_PROTOCOL)))
	req.AddData(nl.NewRtAttr(nl.IPSET_ATTR_SETNAME, nl.ZeroTerminated(name)))
	req.AddData(&nl.Uint32Attribute{Type: nl.IPSET_ATTR_FLAGS | nl.NLA_F_NET_BYTEORDER, Value: ipsetFlagListHeader})
	msgs, err := req.Execute(unix.NETLINK_NETFILTER, 0)
	if err != nil {
		return setHeader{}, fmt.Errorf("reading ipset %s: %w", name, ipsetErrno(err))
	}
	for _, m := range msgs {
		if hdr, ok := parseHeader(m); ok {
			return hdr, nil
		}
	}
	return setHeader{}, fmt.Errorf("reading ipset %s: no header in the kernel's answer", name)
}

func ipsetErrno(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) && errno >= nl.IPSET_ERR_PRIVATE {
		return nl.IPSetError(errno)
	}
	return err
}

func parseHeader(msg []byte) (setHeader, bool) {
	if len(msg) < 4 {
		return setHeader{}, false
	}
	attrs, err := nl.ParseRouteAttr(msg[4:]) // after the nfgenmsg
	if err != nil {
		return setHeader{}, false
	}
	var hdr setHeader
	found := false
	for _, a := range attrs {
		switch a.Attr.Type & attrTypeMask {
		case nl.IPSET_ATTR_TYPENAME:
			hdr.typ = nl.BytesToString(a.Value)
		case nl.IPSET_ATTR_FAMILY:
			if len(a.Value) > 0 && a.Value[0] == unix.AF_INET6 {
				hdr.family = inet6
			} else {
				hdr.family = inet
			}
		case nl.IPSET_ATTR_DATA:
			found = true
			data, err := nl.ParseRouteAttr(a.Value)
			if err != nil {
				return setHeader{}, false
			}
			for _, d := range data {
				if len(d.Value) < 4 {
					continue
				}
				v := binary.BigEndian.Uint32(d.Value)
				switch d.Attr.Type & attrTypeMask {
				case nl.IPSET_ATTR_MAXELEM:
					hdr.maxElem = v
				case nl.IPSET_ATTR_TIMEOUT:
					hdr.timeout = true
				case nl.IPSET_ATTR_ELEMENTS:
					hdr.elements = v
				}
			}
		}
	}
	return hdr, found
}
