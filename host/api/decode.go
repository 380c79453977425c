package api

import (
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
// not application/json, larger than MaxBodyBytes, has fields v does not know,
// or carries data after the object. shape says what is expected, for the
// error message.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, shape string) (int, *apiError) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return http.StatusUnsupportedMediaType, &apiError{
			Message: fmt.Sprintf("request body has Content-Type %q; expect application/json", ct),
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
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
