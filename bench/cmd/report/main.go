// Command report turns the figures a benchmark run measured into
// bench/results.json and a Markdown table (bench/results.md and stdout).
//
// It reads one figure per line from the file named by -in:
//
//	name value unit [peer peer_value]
//
// checks each against its target (targets.go), and writes the JSON list the
// README's table is built from. A figure without a target shows "—".
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// figure is one entry of results.json.
type figure struct {
	Name      string   `json:"name"`
	Value     float64  `json:"value"`
	Unit      string   `json:"unit"`
	Peer      string   `json:"peer,omitempty"`
	PeerValue *float64 `json:"peer_value,omitempty"`
}

type noteFlag []string

func (n *noteFlag) String() string     { return strings.Join(*n, "; ") }
func (n *noteFlag) Set(v string) error { *n = append(*n, v); return nil }

func main() {
	in := flag.String("in", "", "figures file, one \"name value unit [peer peer_value]\" per line")
	jsonOut := flag.String("json", "bench/results.json", "where to write the JSON list")
	mdOut := flag.String("md", "bench/results.md", "where to write the Markdown table (also printed)")
	var notes noteFlag
	flag.Var(&notes, "note", "a line printed under the table (repeatable)")
	flag.Parse()
	if err := run(*in, *jsonOut, *mdOut, notes); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(in, jsonOut, mdOut string, notes []string) error {
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("opening figures: %w", err)
	}
	defer f.Close()
	figs, err := parseFigures(f)
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(figs, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding results: %w", err)
	}
	if err := os.WriteFile(jsonOut, append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", jsonOut, err)
	}
	md := markdown(figs, notes)
	if err := os.WriteFile(mdOut, []byte(md), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", mdOut, err)
	}
	fmt.Print(md)
	return nil
}

func parseFigures(r io.Reader) ([]figure, error) {
	var figs []figure
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) != 3 && len(fields) != 5 {
			return nil, fmt.Errorf("figures line %d %q: expect \"name value unit [peer peer_value]\"", n, sc.Text())
		}
		v, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			return nil, fmt.Errorf("figures line %d: value %q is not a number", n, fields[1])
		}
		fig := figure{Name: fields[0], Value: v, Unit: fields[2]}
		if len(fields) == 5 {
			pv, err := strconv.ParseFloat(fields[4], 64)
			if err != nil {
				return nil, fmt.Errorf("figures line %d: peer value %q is not a number", n, fields[4])
			}
			fig.Peer, fig.PeerValue = fields[3], &pv
		}
		figs = append(figs, fig)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading figures: %w", err)
	}
	if len(figs) == 0 {
		return nil, fmt.Errorf("no figures in the input; did the run fail early?")
	}
	return figs, nil
}
