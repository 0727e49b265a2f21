package columnar

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestOwnDictionary: the byte-array dictionary of a chunk decodeOwn reads is decoded by
// ownDictionary entry for entry as parquet-go's ReadDictionary decodes it, in each codec,
// and the next chunk's dictionary is decoded into the same scratch buffers: it allocates
// a small part of the dictionary's bytes, where parquet-go took fresh buffers for each.
func TestOwnDictionary(t *testing.T) {
	type row struct {
		ID   string `parquet:"identity_id"`
		Role string `parquet:"role_id,dict"`
	}
	codecs := map[string]parquet.WriterOption{"snappy": parquet.Compression(&parquet.Snappy),
		"zstd": parquet.Compression(&parquet.Zstd), "none": parquet.Compression(&parquet.Uncompressed)}
	for name, codec := range codecs {
		rows := make([]row, 6000)
		for i := range rows {
			rows[i] = row{fmt.Sprintf("u%05d", i), fmt.Sprintf("role-%05d", i%2000)}
		}
		var b bytes.Buffer
		w := parquet.NewGenericWriter[row](&b, parquet.DataPageVersion(2), codec, parquet.MaxRowsPerRowGroup(3000))
		if _, err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		data := b.Bytes()
		pf, err := openParquet(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		leaves := pf.Root().Columns()
		own := &ownPlan{}
		if err := checkPageHeaders(bytes.NewReader(data), int64(len(data)), pf, leaves, own); err != nil {
			t.Fatal(err)
		}
		leaf := leaves[1]
		d := &pageDecoder{c: &column{ownR: bytes.NewReader(data)}}
		s := new(ownScratch)
		if len(pf.RowGroups()) != 2 {
			t.Fatalf("%s: %d row groups, want 2", name, len(pf.RowGroups()))
		}
		for g, rg := range pf.RowGroups() {
			ch, cc := own.column(leaf.Index())[g], rg.ColumnChunks()[leaf.Index()]
			if ch == nil || !ownsDictionary(cc.Type(), ch) {
				t.Fatalf("%s: row group %d's role_id is not decoded by ownDictionary", name, g)
			}
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			got, err := d.ownDictionary(s, ch, cc)
			runtime.ReadMemStats(&m1)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			pages := cc.Pages()
			want, err := pages.(interface {
				ReadDictionary() (parquet.Dictionary, error)
			}).ReadDictionary()
			if err != nil {
				t.Fatal(err)
			}
			gotData, wantData := got.Page().Data(), want.Page().Data()
			gotVals, gotOffs := gotData.ByteArray()
			wantVals, wantOffs := wantData.ByteArray()
			if got.Len() != want.Len() || !bytes.Equal(gotVals, wantVals) || fmt.Sprint(gotOffs) != fmt.Sprint(wantOffs) {
				t.Errorf("%s: row group %d: the dictionaries differ (%d and %d entries)", name, g, got.Len(), want.Len())
			}
			pages.Close()
			if alloc := m1.TotalAlloc - m0.TotalAlloc; g > 0 && alloc > uint64(len(wantVals))/2 {
				t.Errorf("%s: row group %d's dictionary of %d bytes allocated %d bytes", name, g, len(wantVals), alloc)
			}
		}
	}
}
