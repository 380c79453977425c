package main

import (
	"fmt"
	"strconv"
	"strings"
)

func markdown(figs []figure, notes []string) string {
	all := make(map[string]figure, len(figs))
	for _, f := range figs {
		all[f.Name] = f
	}
	var b strings.Builder
	b.WriteString("| name | value | unit | peer | peer value | target | met? |\n")
	b.WriteString("| --- | ---: | --- | --- | ---: | --- | --- |\n")
	for _, f := range figs {
		peer, peerValue := "—", "—"
		if f.PeerValue != nil {
			peer, peerValue = f.Peer, num(*f.PeerValue)
		}
		goal, met := "—", "—"
		if t, ok := targets[f.Name]; ok {
			goal = t.text
			if ok, known := t.check(f, all); known {
				met = map[bool]string{true: "yes", false: "no"}[ok]
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", f.Name, num(f.Value), f.Unit, peer, peerValue, goal, met)
	}
	if len(notes) > 0 {
		b.WriteString("\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

// num prints large figures without decimals and small ones with three
// significant decimals at most.
func num(v float64) string {
	if v >= 100 || v <= -100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
