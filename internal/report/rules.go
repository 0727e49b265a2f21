package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/usage"
)

// ruleRecord is one rule of rules.json and rules.parquet, declared in package model.
type ruleRecord = model.Rule

// termRecord is one `attribute = value` term of a criterion.
type termRecord = model.Term

// newRuleRecord resolves rule r's codes to strings. terms is reused as the criteria's
// backing array when it has room (the parquet writer copies values out).
func newRuleRecord(snap *columnar.Snapshot, r *mining.Rule, terms []termRecord) ruleRecord {
	terms = terms[:0]
	for _, t := range r.Criterion.Terms() {
		d := &snap.Dims[t.Dim]
		terms = append(terms, termRecord{Attribute: d.Name, Value: d.Values[t.Val]})
	}
	return ruleRecord{
		RuleID:             r.ID,
		RoleID:             snap.Roles.IDs[r.Role],
		Policy:             r.Policy,
		RuleType:           r.Type.String(),
		EntityType:         r.EntityType,
		Criteria:           terms,
		MiningRulePriority: int64(r.Priority),
		Support:            r.Support,
		TP:                 r.TP,
		FP:                 r.FP,
	}
}

// writeRulesJSON writes rules.json in Model.Rules order.
//
// With usage data (ru non-nil, docs/excess-privilege.md#rule-usage) each rule also
// carries the usage of its matched holders.
func writeRulesJSON(w io.Writer, snap *columnar.Snapshot, m *mining.Model, ru []usage.Counts) error {
	return writeJSONList(w, model.RulesFormat, "rules", len(m.Rules), func(k int) any {
		if ru != nil {
			return withRuleUsage(newRuleRecord(snap, &m.Rules[k], nil), ru[k])
		}
		return newRuleRecord(snap, &m.Rules[k], nil)
	})
}

// writeJSONList writes {"format": format, key: [item(0), ..., item(n-1)]} indented by two
// spaces with a trailing newline, exactly as json.MarshalIndent would lay out the whole
// document, but one item at a time so that a large list is never held in memory twice.
// HTML characters are not escaped.
func writeJSONList(w io.Writer, format, key string, n int, item func(int) any) error {
	// Each value is marshalled compact, then laid out by appendIndented (json.Indent's
	// layout, without its scanner).
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	encode := func(buf []byte, v any) ([]byte, error) {
		compact.Reset()
		if err := enc.Encode(v); err != nil {
			return buf, err
		}
		return appendIndented(buf, bytes.TrimSuffix(compact.Bytes(), []byte("\n")), "    ", "  "), nil
	}
	buf := make([]byte, 0, 1<<16+1<<12)
	buf = append(buf, "{\n  \"format\": "...)
	buf, err := encode(buf, format)
	if err != nil {
		return err
	}
	buf = append(buf, ",\n  \""+key+"\": ["...)
	for k := 0; k < n; k++ {
		if k > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n    "...)
		if buf, err = encode(buf, item(k)); err != nil {
			return fmt.Errorf("%s item %d: %w", key, k, err)
		}
		if len(buf) >= 1<<16 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if n > 0 {
		buf = append(buf, "\n  "...)
	}
	buf = append(buf, "]\n}\n"...)
	_, err = w.Write(buf)
	return err
}

// xmlRuleType is the Netwrix name of a rule type.
func xmlRuleType(t mining.RuleType) string {
	switch t {
	case mining.Required:
		return "Required"
	case mining.RequestedAutomatically:
		return "RequestedAutomatically"
	case mining.Suggested:
		return "Suggested"
	}
	return strconv.Itoa(int(t))
}

// writeRulesXML writes rules.xml in the Netwrix Identity Manager dialect: a leading
// <Dimension> list declaring, as its ColumnMapping, the D-index of every attribute used by
// a rule (numbered in attribute name order), then one <SingleRoleRule> per rule in
// Model.Rules order.
func writeRulesXML(w io.Writer, snap *columnar.Snapshot, m *mining.Model) error {
	// Dims are sorted by name, so numbering used dimensions in index order numbers them
	// in attribute name order.
	col := make([]int, len(snap.Dims))
	for d := range col {
		col[d] = -1
	}
	for k := range m.Rules {
		for _, t := range m.Rules[k].Criterion.Terms() {
			col[t.Dim] = 0
		}
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	buf.WriteString("<ConfigurationFile xmlns=\"urn:schemas-usercube-com:configuration\">\n")
	next := 0
	for d := range col {
		if col[d] < 0 {
			continue
		}
		col[d] = next
		if err := checkXMLText("attribute name", snap.Dims[d].Name); err != nil {
			return err
		}
		buf.WriteString("  <Dimension Identifier=\"")
		escapeAttr(&buf, snap.Dims[d].Name)
		buf.WriteString("\" ColumnMapping=\"")
		buf.WriteString(strconv.Itoa(next))
		buf.WriteString("\" />\n")
		next++
	}
	for k := range m.Rules {
		r := &m.Rules[k]
		if err := checkXMLText("role", snap.Roles.IDs[r.Role]); err != nil {
			return err
		}
		for _, t := range r.Criterion.Terms() {
			if err := checkXMLText("value of "+snap.Dims[t.Dim].Name, snap.Dims[t.Dim].Values[t.Val]); err != nil {
				return err
			}
		}
		buf.WriteString("  <SingleRoleRule Role=\"")
		escapeAttr(&buf, snap.Roles.IDs[r.Role])
		buf.WriteString("\" Policy=\"")
		escapeAttr(&buf, r.Policy)
		buf.WriteString("\" Type=\"")
		buf.WriteString(xmlRuleType(r.Type))
		buf.WriteString("\" EntityType=\"")
		escapeAttr(&buf, r.EntityType)
		buf.WriteByte('"')
		// Terms are sorted by dimension, so D-indices come out ascending.
		for _, t := range r.Criterion.Terms() {
			buf.WriteString(" D")
			buf.WriteString(strconv.Itoa(col[t.Dim]))
			buf.WriteString("=\"")
			escapeAttr(&buf, snap.Dims[t.Dim].Values[t.Val])
			buf.WriteByte('"')
		}
		buf.WriteString(" />\n")
		if buf.Len() >= 1<<16 {
			if _, err := w.Write(buf.Bytes()); err != nil {
				return err
			}
			buf.Reset()
		}
	}
	buf.WriteString("</ConfigurationFile>\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// checkXMLText returns an error naming what a rules.xml attribute value s is (what) when
// XML 1.0 cannot hold it: xml.EscapeText would silently replace the character, and the
// rule would no longer match the data. The loader refuses such values; plugin outputs
// and hand-made snapshots reach here unchecked.
func checkXMLText(what, s string) error {
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("rules.xml: %s %q holds the character U+%04X, which XML cannot represent", what, s, r)
		}
	}
	return nil
}

// escapeAttr writes s escaped for a double-quoted XML attribute (quotes, <, >, &, and
// tab/newline/carriage return as character references, so they survive attribute value
// normalisation).
func escapeAttr(buf *bytes.Buffer, s string) {
	_ = xml.EscapeText(buf, []byte(s)) // a bytes.Buffer never fails
}

// parquetOptions are the writer options of every Parquet output: Snappy pages and a
// created-by that depends only on the rolemine version (not on parquet-go's build), so
// identical inputs give identical bytes. The space after the version completes the
// "<app> version <version> (build <build>)" convention that parquet.CreatedBy leaves out.
func parquetOptions(version string, extra ...parquet.WriterOption) []parquet.WriterOption {
	if version == "" {
		version = "devel"
	}
	return append([]parquet.WriterOption{
		parquet.Compression(&parquet.Snappy),
		parquet.CreatedBy("rolemine", version+" ", "parquet-go"),
		// Min/max go to the page index (and column chunk statistics) only, not to
		// every page header as well: computing them twice is measurable on 20M rows.
		parquet.DataPageStatistics(false),
	}, extra...)
}

// writeRulesParquet writes rules.parquet: the rows of rules.json, criteria as a list of
// {attribute, value} structs.
func writeRulesParquet(w io.Writer, snap *columnar.Snapshot, m *mining.Model, version string) error {
	// The schema's root keeps the name it has always had ("ruleRecord", the writer's type
	// name before the type moved to package model), so that the file stays byte-identical.
	schema := parquet.NewSchema("ruleRecord", parquet.SchemaOf(ruleRecord{}))
	pw := parquet.NewGenericWriter[ruleRecord](w, parquetOptions(version, schema)...)
	const chunk = 4096
	rows := make([]ruleRecord, 0, chunk)
	terms := make([]termRecord, chunk*kernels.MaxTerms)
	flush := func() error {
		if _, err := pw.Write(rows); err != nil {
			return err
		}
		rows = rows[:0]
		return nil
	}
	for k := range m.Rules {
		j := len(rows)
		rows = append(rows, newRuleRecord(snap, &m.Rules[k], terms[j*kernels.MaxTerms:j*kernels.MaxTerms:(j+1)*kernels.MaxTerms]))
		if len(rows) == chunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return pw.Close()
}
