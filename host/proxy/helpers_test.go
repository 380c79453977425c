package proxy

import (
	"net"
	"strconv"
)

func itoa(n int) string { return strconv.Itoa(n) }

type netConn = net.Conn

var dialer0 net.Dialer
