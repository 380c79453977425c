// Package killswitch cuts open connections that a tightened policy no
// longer allows.
//
// The firewall accepts the packets of established flows before it judges
// anything else, so a connection opened under a looser policy would outlive
// the change. Cutting deletes the flow's conntrack entry in the sidecar's
// network namespace: the flow's next packet is judged as new by the rules
// now in force and rejected (a TCP reset to the agent), and a reply from
// outside finds no flow and is dropped.
//
//	engine.Apply ── new rules in place ──► Cut(table, judge)
//	                                          │ Dump: every flow of the namespace
//	                                          │ judge(flow): keep or cut
//	                                          └ Delete: each flow to cut
package killswitch
