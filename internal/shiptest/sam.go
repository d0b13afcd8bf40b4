package shiptest

import "maps"

// Function returns the resource id with SAM's Globals.Function merged into
// its Properties, as the SAM transform does: mappings merge key by key
// (the function's value wins), lists concatenate (Globals first), and any
// other function value replaces the global one. It returns nil when id is
// not a resource.
func (t *Template) Function(id string) map[string]any {
	r := asMap(t.Resources[id])
	if r == nil {
		return nil
	}
	out := maps.Clone(r)
	out["Properties"] = mergeGlobals(asMap(t.Globals["Function"]), asMap(r["Properties"]))
	return out
}

// mergeGlobals merges a resource's properties over the global ones.
func mergeGlobals(global, local map[string]any) map[string]any {
	out := maps.Clone(global)
	if out == nil {
		out = map[string]any{}
	}
	for k, lv := range local {
		switch gv := out[k].(type) {
		case map[string]any:
			if lm, ok := lv.(map[string]any); ok {
				out[k] = mergeGlobals(gv, lm)
				continue
			}
		case []any:
			if ll, ok := lv.([]any); ok {
				out[k] = append(append([]any{}, gv...), ll...)
				continue
			}
		}
		out[k] = lv
	}
	return out
}

// ResourcesOfType returns the ids of the resources of the given type.
func (t *Template) ResourcesOfType(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if asMap(r)["Type"] == typ {
			ids = append(ids, id)
		}
	}
	return ids
}
