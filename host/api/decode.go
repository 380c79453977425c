package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// MaxBodyBytes caps every request body.
const MaxBodyBytes = 1 << 20

// decodeBody reads exactly one JSON object into v. It refuses a body that is
// not application/json, larger than MaxBodyBytes, empty, null, has a field
// twice or a null anywhere, has fields v does not know, or carries data
// after the object; a refused body changes nothing. shape says what is
// expected, for the error message.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, shape string) (int, *apiError) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return http.StatusUnsupportedMediaType, &apiError{
			Message: fmt.Sprintf("request body has Content-Type %q; expect application/json", ct),
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return bodyError(err, shape)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return bodyError(io.EOF, shape)
	}
	if e := checkStrict(raw, shape); e != nil {
		return http.StatusBadRequest, e
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err, shape)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return bodyError(err, shape)
		}
		return http.StatusBadRequest, &apiError{Message: "request body has data after the JSON object; " + shape}
	}
	return 0, nil
}

func bodyError(err error, shape string) (int, *apiError) {
	var (
		tooBig    *http.MaxBytesError
		syntax    *json.SyntaxError
		wrongType *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, &apiError{
			Message: fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes),
		}
	case errors.Is(err, io.EOF):
		return http.StatusBadRequest, &apiError{Message: "request body is empty; " + shape}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return http.StatusBadRequest, &apiError{Message: "request body ends in the middle of the JSON; " + shape}
	case errors.As(err, &syntax):
		return http.StatusBadRequest, &apiError{
			Message: fmt.Sprintf("request body is not valid JSON at byte %d: %v; %s", syntax.Offset, err, shape),
		}
	case errors.As(err, &wrongType):
		field := wrongType.Field
		return http.StatusBadRequest, &apiError{
			Field:   field,
			Message: fmt.Sprintf("field %q: got a JSON %s, expect %s", field, wrongType.Value, jsonKind(wrongType.Type.String())),
		}
	}
	// encoding/json reports unknown fields only in its message.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field := strings.Trim(name, `"`)
		return http.StatusBadRequest, &apiError{
			Field:   field,
			Message: fmt.Sprintf("unknown field %q; %s", field, shape),
		}
	}
	return http.StatusBadRequest, &apiError{Message: fmt.Sprintf("reading request body: %v; %s", err, shape)}
}

// jsonKind names a Go type the way a JSON user thinks of it.
func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"), strings.HasPrefix(goType, "*[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "*map["):
		return "an object"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "a number"
	case strings.Contains(goType, "bool"):
		return "true or false"
	case strings.Contains(goType, "string"), strings.Contains(goType, "Mode"):
		return "a string"
	}
	return "a value of type " + goType
}

// strictFrame is one open object or list while checkStrict walks a body.
type strictFrame struct {
	object  bool
	keys    map[string]bool
	key     string // the key whose value comes next, when haveKey
	haveKey bool
	path    string
}

// checkStrict walks the body's tokens and refuses what encoding/json would
// quietly accept: a key given twice in one object (the last would win, so
// what a reviewer reads is not what applies) and null (it would read as
// "no change"). A body that is not valid JSON passes here and is refused
// by the decoder with its position.
func checkStrict(raw []byte, shape string) *apiError {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var stack []*strictFrame
	field := func() string {
		if len(stack) == 0 {
			return ""
		}
		top := stack[len(stack)-1]
		if top.object {
			return joinPath(top.path, top.key)
		}
		return top.path
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		var top *strictFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		// In an object, every other token is a key.
		if top != nil && top.object && !top.haveKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				afterValue(stack)
				if len(stack) == 0 {
					return nil
				}
				continue
			}
			k, _ := tok.(string)
			if top.keys[k] {
				f := joinPath(top.path, k)
				return &apiError{Field: f, Message: fmt.Sprintf("field %q appears twice in the request body; give each field once", f)}
			}
			top.keys[k] = true
			top.key, top.haveKey = k, true
			continue
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &strictFrame{object: true, keys: map[string]bool{}, path: field()})
			case '[':
				stack = append(stack, &strictFrame{path: field()})
			default: // ']'
				stack = stack[:len(stack)-1]
				afterValue(stack)
			}
		case nil:
			if f := field(); f != "" {
				return &apiError{Field: f, Message: fmt.Sprintf("field %q is null; leave it out to keep the current value, or give a value", f)}
			}
			return &apiError{Message: "request body is null; " + shape}
		default:
			afterValue(stack)
		}
		if len(stack) == 0 {
			return nil
		}
	}
}

// afterValue marks the value of the innermost object's current key read.
func afterValue(stack []*strictFrame) {
	if len(stack) > 0 && stack[len(stack)-1].object {
		stack[len(stack)-1].haveKey = false
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
