package columnar

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// parquet-go decompresses a page with its codec's own decoder, which trusts the
// compressed bytes over the page header: a Snappy block allocates the length it states
// (up to 4 GiB), a ZSTD frame the content size it states (up to 64 GiB) or, without one,
// as much as its blocks produce, and a BROTLI stream whatever it decodes to. A page of a
// few hundred bytes made it allocate a gigabyte. checkCodec makes every compressed page
// prove, before parquet-go sees it, that it decompresses into no more than its header
// declares; checkRatio has already bounded what the header may declare by the page's
// compressed bytes, so by the file's size.

// Bounds on how far ZSTD and BROTLI inflate, by their formats: a ZSTD RLE block of 4
// bytes writes at most 128 KiB; a BROTLI meta-block of at most 16 MiB cannot be written
// in fewer than 8 bytes. klauspost's ZSTD reaches 29,746 and andybalholm's BROTLI 299,593
// on 4 MiB of one byte (TestMaxRatioHolds).
const (
	zstdMaxRatio   = 32 << 10
	brotliMaxRatio = 2 << 20
)

// checkCodec checks the compressed bytes of the page at off with header h (the page's
// first bytes, as far as they were read with its header, in head) in a chunk of codec:
// a SNAPPY block must state the declared size, the ZSTD frames must state sizes adding
// up to it or decompress into it, and a BROTLI stream must decompress into it. GZIP is
// bounded by its ratio (checkRatio) and LZ4 pages never reach here (openRewritten).
func (pc *pageChecker) checkCodec(r io.ReaderAt, off int64, h *format.PageHeader, codec format.CompressionCodec, head []byte) error {
	if pc.inflated || codec != format.Snappy && codec != format.Zstd && codec != format.Brotli {
		return nil // a page the run checks decompressed has been checked by decompressPage
	}
	levels, in, out, compressed := compressedSpan(h)
	if !compressed {
		return nil
	}
	if in <= 0 || out < 0 {
		return nil // nothing for a decoder to inflate; parquet-go refuses what does not add up
	}
	if codec == format.Snappy {
		var b [binary.MaxVarintLen32]byte
		src := head[min(levels, int64(len(head))):]
		if len(src) < len(b) && int64(len(src)) < in {
			n := min(int64(len(b)), in)
			if _, err := r.ReadAt(b[:n], off+levels); err != nil {
				return fmt.Errorf("reading page: %w", err)
			}
			src = b[:n]
		}
		src = src[:min(int64(len(src)), in)]
		if stated, k := binary.Uvarint(src); k <= 0 || stated != uint64(out) {
			return fmt.Errorf("corrupt SNAPPY data: its block states %d uncompressed bytes, the page header declares %d", stated, out)
		}
		return nil
	}
	pc.raw = slices.Grow(pc.raw[:0], int(in))[:in]
	if _, err := r.ReadAt(pc.raw, off+levels); err != nil {
		return fmt.Errorf("reading page: %w", err)
	}
	if codec == format.Zstd {
		// Frames that state their sizes get room for them and are stopped there; frames
		// that do not write at most 128 KiB a block.
		content, upper, err := zstdSizes(pc.raw)
		switch {
		case err == nil && content >= 0 && content != out:
			return fmt.Errorf("corrupt ZSTD data: its frames state %d uncompressed bytes, the page header declares %d", content, out)
		case err == nil && (content >= 0 || upper <= out+128<<10):
			return nil
		}
	}
	var err error
	pc.page, err = decompressBounded(pc.page[:0], codec, pc.raw, int(out))
	return err
}

// decompressBounded appends src, decompressed with codec (ZSTD or BROTLI) into exactly n
// bytes, to page, never decoding more than n bytes nor making room for more than src can
// hold (page grows as the data decodes, so a page that declares much more than it holds
// is refused without room for what it declares).
func decompressBounded(page []byte, codec format.CompressionCodec, src []byte, n int) ([]byte, error) {
	bad := fmt.Errorf("corrupt %s data: it does not decompress into the %d bytes its header declares", codec, n)
	base := len(page)
	room := min(n, 64*len(src)+64<<10)
	if codec == format.Zstd {
		// A frame's blocks bound what it writes (zstdContentSize's upper bound), so the
		// decoder gets room for at most that, and stops at the end of that room.
		_, upper, err := zstdSizes(src)
		if err != nil {
			return page, fmt.Errorf("corrupt ZSTD data: %v", err)
		}
		room = int(min(int64(n), upper))
		page = slices.Grow(page, room+1)
		dec, err := boundedZstd().DecodeAll(src, page[base:base:base+room+1])
		if err != nil || len(dec) != n {
			return page, bad
		}
		return page[:base+n], nil
	}
	// A reader goes back to the pool only after a stream it read to its end: Reset keeps
	// the input a reader stopped early holds.
	br := brotliReaders.Get().(*brotli.Reader)
	var rd bytes.Reader
	rd.Reset(src)
	if err := br.Reset(&rd); err != nil {
		return page, bad
	}
	for {
		if len(page)-base == room+1 {
			if room == n {
				return page, bad // more than declared
			}
			room = min(n, 2*room)
		}
		page = slices.Grow(page, base+room+1-len(page))
		k, err := br.Read(page[len(page) : base+room+1])
		page = page[:len(page)+k]
		switch {
		case err == io.EOF && rd.Len() == 0 && len(page)-base == n:
			brotliReaders.Put(br)
			return page, nil
		case err != nil:
			return page, bad
		}
	}
}

var (
	zstdOnce    sync.Once
	zstdDecoder *zstd.Decoder
	// brotliReaders keeps BROTLI readers (and their ring buffers) from page to page.
	brotliReaders = sync.Pool{New: func() any { return brotli.NewReader(nil) }}
)

// boundedZstd is a ZSTD decoder whose DecodeAll writes no more than its destination's
// capacity.
func boundedZstd() *zstd.Decoder {
	zstdOnce.Do(func() {
		d, err := zstd.NewReader(nil, zstd.WithDecodeAllCapLimit(true), zstd.WithDecoderConcurrency(0))
		if err != nil {
			panic(err) // only for invalid options
		}
		zstdDecoder = d
	})
	return zstdDecoder
}

// zstdFrames walks the frames of a ZSTD page (skippable frames included) by their
// headers, calling frame with each frame's stated content size (-1 when it states none)
// and the most its blocks can write.
func zstdFrames(src []byte, frame func(content, upper int64)) error {
	for len(src) > 0 {
		if len(src) < 8 {
			return errors.New("a frame cut short")
		}
		magic := binary.LittleEndian.Uint32(src)
		if magic&0xfffffff0 == 0x184d2a50 { // skippable
			size := int64(binary.LittleEndian.Uint32(src[4:]))
			if size > int64(len(src)-8) {
				return errors.New("a skippable frame longer than the page")
			}
			src = src[8+size:]
			continue
		}
		if magic != 0xfd2fb528 {
			return fmt.Errorf("bad frame magic %08x", magic)
		}
		fhd := src[4]
		single := fhd&0x20 != 0
		fcsBytes := [4]int{0, 2, 4, 8}[fhd>>6]
		if fcsBytes == 0 && single {
			fcsBytes = 1
		}
		at := 5 + [4]int{0, 1, 2, 4}[fhd&3]
		if !single {
			at++ // the window descriptor
		}
		if at+fcsBytes > len(src) {
			return errors.New("a frame header cut short")
		}
		content := int64(-1)
		if fcsBytes > 0 {
			var b [8]byte
			copy(b[:], src[at:at+fcsBytes])
			u := binary.LittleEndian.Uint64(b[:])
			if fcsBytes == 2 {
				u += 256
			}
			content = int64(min(u, 1<<62))
		}
		src = src[at+fcsBytes:]
		var upper int64
		for last := false; !last; {
			if len(src) < 3 {
				return errors.New("a block header cut short")
			}
			bh := uint32(src[0]) | uint32(src[1])<<8 | uint32(src[2])<<16
			last = bh&1 != 0
			size := int64(bh >> 3)
			body := size
			switch (bh >> 1) & 3 {
			case 1: // RLE: one byte repeated size times
				body = 1
			case 2: // compressed: at most a block's 128 KiB
				upper += 128<<10 - size
			case 3:
				return errors.New("a reserved block type")
			}
			upper += size
			if body > int64(len(src)-3) {
				return errors.New("a block longer than the page")
			}
			src = src[3+body:]
		}
		if fhd&4 != 0 { // content checksum
			if len(src) < 4 {
				return errors.New("a frame checksum cut short")
			}
			src = src[4:]
		}
		frame(content, upper)
	}
	return nil
}

// zstdSizes returns the content size a ZSTD page's frames state (-1 when one of them
// states none) and the most their blocks can write.
func zstdSizes(src []byte) (content, upper int64, err error) {
	err = zstdFrames(src, func(c, u int64) {
		if content >= 0 && c >= 0 {
			content = min(content+c, 1<<62)
		} else {
			content = -1
		}
		upper = min(upper+u, 1<<62)
	})
	return content, upper, err
}
