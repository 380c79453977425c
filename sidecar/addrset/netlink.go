package addrset

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// socketTimeout bounds a netlink round trip; one takes microseconds.
const socketTimeout = 5 * time.Second

// ipsetErrHashFull is the kernel's "Hash is full" error code.
const ipsetErrHashFull = nl.IPSET_ERR_TYPE_SPECIFIC

// netlinkKernel speaks ipset over netlink sockets opened on first use, in the
// network namespace of the thread that first uses them; every later call
// goes to that namespace whichever thread makes it.
type netlinkKernel struct {
	mu     sync.Mutex
	h      *netlink.Handle
	header *nl.SocketHandle // for header-only listings, which the Handle cannot ask for
}

func (k *netlinkKernel) open() (*netlink.Handle, *nl.SocketHandle, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.h != nil {
		return k.h, k.header, nil
	}
	h, err := netlink.NewHandle(unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, nil, fmt.Errorf("opening netfilter netlink socket: %w", err)
	}
	if err := h.SetSocketTimeout(socketTimeout); err != nil {
		h.Close()
		return nil, nil, fmt.Errorf("setting netlink socket timeout: %w", err)
	}
	s, err := nl.GetNetlinkSocketAt(netns.None(), netns.None(), unix.NETLINK_NETFILTER)
	if err != nil {
		h.Close()
		return nil, nil, fmt.Errorf("opening netfilter netlink socket: %w", err)
	}
	tv := unix.NsecToTimeval(socketTimeout.Nanoseconds())
	_ = s.SetSendTimeout(&tv)
	_ = s.SetReceiveTimeout(&tv)
	k.h, k.header = h, &nl.SocketHandle{Socket: s}
	return k.h, k.header, nil
}

func (k *netlinkKernel) close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.h != nil {
		k.h.Close()
		k.header.Close()
		k.h, k.header = nil, nil
	}
	return nil
}

func (k *netlinkKernel) create(name string, fam family, maxElem uint32) error {
	h, _, err := k.open()
	if err != nil {
		return err
	}
	// Without NLM_F_EXCL the kernel accepts an identical existing set.
	err = h.IpsetCreate(name, "hash:ip", createOptions(fam, maxElem, true))
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("creating ipset %s: %w", name, err)
	}
	hdr, err := k.readHeader(name)
	if err != nil {
		return err
	}
	if hdr.typ == "hash:ip" && hdr.family == fam && hdr.timeout && hdr.maxElem == maxElem {
		return nil // differs only in its default timeout, which no add relies on
	}
	return k.replace(h, name, fam, maxElem, hdr)
}

// replace swaps an unsuitable set of the same name for a new one. Swapping
// keeps the iptables rules that refer to the set pointing at the new one.
func (k *netlinkKernel) replace(h *netlink.Handle, name string, fam family, maxElem uint32, old setHeader) error {
	tmp := name
	if len(tmp) > 26 {
		tmp = tmp[:26]
	}
	tmp += "-swap"
	_ = h.IpsetDestroy(tmp)
	if err := h.IpsetCreate(tmp, "hash:ip", createOptions(fam, maxElem, false)); err != nil {
		return fmt.Errorf("creating ipset %s to replace %s (%s %s maxelem %d timeout %t): %w",
			tmp, name, old.typ, old.family, old.maxElem, old.timeout, err)
	}
	if err := h.IpsetSwap(name, tmp); err != nil {
		_ = h.IpsetDestroy(tmp)
		return fmt.Errorf("replacing ipset %s (%s %s maxelem %d timeout %t): %w",
			name, old.typ, old.family, old.maxElem, old.timeout, err)
	}
	if err := h.IpsetDestroy(tmp); err != nil {
		return fmt.Errorf("destroying replaced ipset %s: %w", tmp, err)
	}
	return nil
}

func createOptions(fam family, maxElem uint32, replace bool) netlink.IpsetCreateOptions {
	af := uint8(unix.AF_INET)
	if fam == inet6 {
		af = unix.AF_INET6
	}
	// The set's default timeout is never used: every add carries its own.
	timeout := uint32(60)
	return netlink.IpsetCreateOptions{Replace: replace, Family: af, MaxElements: maxElem, Timeout: &timeout}
}

func (k *netlinkKernel) flush(name string) error {
	h, _, err := k.open()
	if err != nil {
		return err
	}
	if err := h.IpsetFlush(name); err != nil {
		return fmt.Errorf("flushing ipset %s: %w", name, err)
	}
	return nil
}

func (k *netlinkKernel) add(name string, addr netip.Addr, timeoutSec uint32) error {
	h, _, err := k.open()
	if err != nil {
		return err
	}
	// Replace drops NLM_F_EXCL: an existing entry gets the new timeout.
	err = h.IpsetAdd(name, &netlink.IPSetEntry{IP: addr.AsSlice(), Timeout: &timeoutSec, Replace: true})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, nl.IPSetError(ipsetErrHashFull)):
		return fmt.Errorf("adding %s to ipset %s: %w", addr, name, ErrSetFull)
	default:
		return fmt.Errorf("adding %s to ipset %s: %w", addr, name, err)
	}
}

func (k *netlinkKernel) del(name string, addr netip.Addr) error {
	h, _, err := k.open()
	if err != nil {
		return err
	}
	// Replace drops NLM_F_EXCL: deleting an absent entry succeeds.
	err = h.IpsetDel(name, &netlink.IPSetEntry{IP: addr.AsSlice(), Replace: true})
	if err != nil && !errors.Is(err, nl.IPSetError(nl.IPSET_ERR_EXIST)) {
		return fmt.Errorf("deleting %s from ipset %s: %w", addr, name, err)
	}
	return nil
}
