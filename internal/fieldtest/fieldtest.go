// Package fieldtest finds the fields a test's value leaves unset, so that a
// test meant to carry every field of a type through a store, an encoding or
// a conversion fails when the type gains a field the test does not set:
// the new field is then carried by every view, or the test says which
// view dropped it.
package fieldtest

import (
	"reflect"
	"slices"
)

// Unset returns the paths of the fields of v's type that hold their zero
// value everywhere in v, e.g. "TimePeriod.EndOn" or "KeyResults[].Metric.Unit".
// It walks the exported fields of structs, through pointers and into the
// elements of slices and arrays: a field under a nil pointer or an empty
// slice is unset, and a field under a slice is set when it is in at least
// one element. A struct with an IsZero method or without exported fields
// (time.Time, asana.Date) is one field, set when it is not its zero value.
// The paths are sorted.
func Unset(v any) []string {
	set := make(map[string]bool)
	mark(reflect.ValueOf(v), "", set)
	var out []string
	for _, p := range leaves(reflect.TypeOf(v), "", nil) {
		if !set[p] {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// zeroer is a type that says itself whether it is zero: one field.
var zeroer = reflect.TypeFor[interface{ IsZero() bool }]()

// exported returns the indexes of t's exported fields, none for a type
// that is one field.
func exported(t reflect.Type) []int {
	if t.Implements(zeroer) || reflect.PointerTo(t).Implements(zeroer) {
		return nil
	}
	var out []int
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			out = append(out, i)
		}
	}
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// leaves returns the paths of the fields of t, under path; outer holds the
// struct types being walked, so that a recursive type ends.
func leaves(t reflect.Type, path string, outer []reflect.Type) []string {
	switch t.Kind() {
	case reflect.Pointer:
		return leaves(t.Elem(), path, outer)
	case reflect.Slice, reflect.Array:
		return leaves(t.Elem(), path+"[]", outer)
	case reflect.Struct:
		fields := exported(t)
		if len(fields) == 0 || slices.Contains(outer, t) {
			break
		}
		var out []string
		for _, i := range fields {
			out = append(out, leaves(t.Field(i).Type, join(path, t.Field(i).Name), append(outer, t))...)
		}
		return out
	}
	return []string{path}
}

// mark records in set the paths of the fields of v that are not zero.
func mark(v reflect.Value, path string, set map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			mark(v.Elem(), path, set)
		}
		return
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			mark(v.Index(i), path+"[]", set)
		}
		return
	case reflect.Struct:
		if fields := exported(v.Type()); len(fields) > 0 {
			for _, i := range fields {
				mark(v.Field(i), join(path, v.Type().Field(i).Name), set)
			}
			return
		}
	}
	if v.IsValid() && !v.IsZero() {
		set[path] = true
	}
}
