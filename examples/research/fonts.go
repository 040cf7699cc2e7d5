package research

import (
	"sync"
	"unicode"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// covered is a bitset of the runes (all in the Basic Multilingual Plane) that
// every font of the report has a glyph for.
var covered = sync.OnceValue(func() *[1 << 16 / 64]uint64 {
	var set [1 << 16 / 64]uint64
	for i := range set {
		set[i] = ^uint64(0)
	}
	for _, ttf := range [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF, gobolditalic.TTF, gomono.TTF} {
		f, err := sfnt.Parse(ttf)
		if err != nil {
			panic("research: parse embedded Go font: " + err.Error()) // the fonts are compiled in
		}
		var buf sfnt.Buffer
		for c := rune(0); c < 1<<16; c++ {
			if set[c/64]&(1<<(c%64)) == 0 {
				continue
			}
			if g, err := f.GlyphIndex(&buf, c); err != nil || g == 0 {
				set[c/64] &^= 1 << (c % 64)
			}
		}
	}
	return &set
})

// drawable reports whether c can be drawn with the report's fonts: it is not
// a control character and every font has a glyph for it.
func drawable(c rune) bool {
	if c < 0 || c >= 1<<16 || unicode.IsControl(c) {
		return false
	}
	return covered()[c/64]&(1<<(c%64)) != 0
}
