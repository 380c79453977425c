package project

import "fmt"

// FieldError is a refused setting: which field, the value given and a message
// that says what is wrong and what would be accepted. The API returns Field
// beside the message so a form can point at the input.
type FieldError struct {
	Field   string `json:"field"`
	Value   string `json:"value"`
	Message string `json:"message"`

	err error // the underlying error, when there is one
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Message)
}

// Unwrap returns the error the refusal came from, such as
// shared.ErrInvalidDomain.
func (e *FieldError) Unwrap() error { return e.err }

func fieldError(field, value, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Value: value, Message: fmt.Sprintf(format, args...)}
}
