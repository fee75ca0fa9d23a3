package asl

import (
	"strconv"
)

// Items returns the array a Map state iterates over: its effective input, or
// what ItemsPath selects in it. A path that selects nothing, or a value that
// is not an array, is a States.Runtime error.
func (s *State) Items(input any) ([]any, error) {
	v := input
	if s.ItemsPath != "" && s.ItemsPath != "$" {
		var err error
		if v, err = EvalField(s.ItemsPath, "ItemsPath", input, nil, Env{}); err != nil {
			return nil, err
		}
	}
	items, ok := v.([]any)
	if !ok {
		return nil, errorf(ErrRuntime, "Map state %q: the value of ItemsPath must be an array, not %s", s.Name, mustEncode(v))
	}
	return items, nil
}

// Concurrency returns how many iterations a Map state runs at once (0: no
// limit), from MaxConcurrency or from what MaxConcurrencyPath selects in the
// effective input. The path's value must be an integer that fits in a Java
// int, given as a number or as a string of digits; anything else is a
// States.Runtime error worded as AWS words it: "The MaxConcurrencyPath field
// refers to value "NoNumber" which is not a valid integer:
// $.MaxConcurrencyValue".
func (s *State) Concurrency(input any) (int, error) {
	if s.MaxConcurrencyPath == "" {
		return s.MaxConcurrency, nil
	}
	v, found, err := refValue(input, s.MaxConcurrencyPath)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, errorf(ErrRuntime, "The JSONPath '%s' specified for the field 'MaxConcurrencyPath' could not be found in the input '%s'",
			s.MaxConcurrencyPath, mustEncode(input))
	}
	text, isStr := v.(string)
	if !isStr {
		text = mustEncode(v)
	}
	n, err := strconv.ParseInt(text, 10, 32)
	if err != nil {
		return 0, errorf(ErrRuntime, "The MaxConcurrencyPath field refers to value \"%s\" which is not a valid integer: %s", text, s.MaxConcurrencyPath)
	}
	if n < 0 {
		// AWS's wording for a negative value is not recorded; this one
		// follows the other MaxConcurrency messages.
		return 0, errorf(ErrRuntime, "Expected non-negative integer for MaxConcurrency, got '%d' instead.", n)
	}
	return int(n), nil
}
