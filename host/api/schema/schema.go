// Package schema publishes the JSON Schemas (draft 2020-12) of the records
// the API hands out for other programs to keep, and checks values against
// them. AuditRecord describes one entry of a project's audit log
// (daemon.AuditRecord); the API serves it at
// GET /api/v1/schema/audit-record.json.
package schema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// AuditRecordJSON is the audit record's schema, as published.
//
//go:embed audit-record.json
var AuditRecordJSON []byte

// auditRecordURL names the schema inside the compiler; it is its $id.
const auditRecordURL = "urn:warden:schema:audit-record:1"

// AuditRecord compiles the audit record's schema, with format assertions
// (date-time, ipv4, ipv6) on.
func AuditRecord() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(AuditRecordJSON))
	if err != nil {
		return nil, fmt.Errorf("reading the audit record schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(auditRecordURL, doc); err != nil {
		return nil, fmt.Errorf("loading the audit record schema: %w", err)
	}
	s, err := c.Compile(auditRecordURL)
	if err != nil {
		return nil, fmt.Errorf("compiling the audit record schema: %w", err)
	}
	return s, nil
}

// Validate checks one JSON value, as encoded bytes, against s.
func Validate(s *jsonschema.Schema, raw []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("reading %s: %w", raw, err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("checking %s: %w", raw, err)
	}
	return nil
}

// ValidateValue encodes v as JSON and checks it against s.
func ValidateValue(s *jsonschema.Schema, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %T: %w", v, err)
	}
	return Validate(s, raw)
}
