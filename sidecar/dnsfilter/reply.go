package dnsfilter

import "github.com/miekg/dns"

// ednsSize is the buffer size the filter advertises in its own answers.
const ednsSize = 1232

// reply starts an answer to req with rcode, echoing EDNS when req used it.
func reply(req *dns.Msg, rcode int) *dns.Msg {
	m := new(dns.Msg)
	m.SetRcode(req, rcode)
	m.RecursionAvailable = true
	if opt := req.IsEdns0(); opt != nil {
		m.SetEdns0(ednsSize, opt.Do())
	}
	return m
}

// errorReply answers req with rcode and, when req used EDNS, an extended
// error (RFC 8914) saying why.
func errorReply(req *dns.Msg, rcode int, info uint16, text string) *dns.Msg {
	m := reply(req, rcode)
	if opt := m.IsEdns0(); opt != nil {
		opt.Option = append(opt.Option, &dns.EDNS0_EDE{InfoCode: info, ExtraText: text})
	}
	return m
}

func refusedReply(req *dns.Msg) *dns.Msg {
	return errorReply(req, dns.RcodeRefused, dns.ExtendedErrorCodeBlocked, "Blocked")
}

func upstreamFailedReply(req *dns.Msg) *dns.Msg {
	return errorReply(req, dns.RcodeServerFailure, dns.ExtendedErrorCodeNetworkError, "upstream resolver failed")
}

func addFailedReply(req *dns.Msg) *dns.Msg {
	return errorReply(req, dns.RcodeServerFailure, dns.ExtendedErrorCodeOther, "allowing the answer's addresses failed")
}
