package idempotency

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// parseDoc parses JSON text the way the Python Lambda runtime does
// (simplejson.loads of the UTF-8 body; json.loads for powertools_json):
// strict RFC 8259 syntax, duplicate keys allowed (last wins, see value.lookup),
// lone UTF-16 surrogate escapes kept, integers over 4300 digits rejected.
//
// The text is validated whole in one pass (scan); its containers are built
// level by level when first used. The returned tree lives until the parser
// state is reset, and refers to data without copying it. event is set for
// raw event bytes: they must be UTF-8 and, as simplejson does, a leading
// byte order mark (or its Latin-1 mojibake "\u00ef\u00bb\u00bf") is skipped.
// Strings given to powertools_json are already valid and keep a BOM, which
// json.loads rejects.
//
// Deliberate differences: NaN/Infinity literals (accepted by Python, never
// produced by Lambda, which rejects them) are errors here, and nesting is
// limited to maxDepth (300) levels.
func (st *deriveState) parseDoc(data string, event bool) (*jnode, error) {
	if event {
		var err error
		if data, err = eventText(data); err != nil {
			return nil, err
		}
	}
	conts, strs, err := st.scan(data)
	if err != nil {
		return nil, err
	}
	return st.root(&jdoc{text: data, conts: conts, strs: strs, st: st}), nil
}

// eventText checks that raw event bytes are UTF-8 and skips a leading byte
// order mark or its Latin-1 mojibake, as simplejson does.
func eventText(data string) (string, error) {
	if !utf8.ValidString(data) {
		return "", errors.New("event is not valid UTF-8")
	}
	if strings.HasPrefix(data, "\xef\xbb\xbf") {
		data = data[3:]
	} else if strings.HasPrefix(data, "\u00ef\u00bb\u00bf") {
		data = data[6:]
	}
	return data, nil
}

// errorf wraps err as an invalid event error.
func invalidEvent(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidEvent}, args...)...)
}
