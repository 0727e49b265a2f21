# Runs the product on random universes and compares it with the reader (scripts/ref).
#   ROLEMINE=BIN PQROWS=BIN REF_TMP=DIR python3 run.py FIRST LAST   (seeds FIRST..LAST-1; README.md)
#   ... python3 run.py --dir DATA [CONFIG.xml] [FLAGS]   (an existing data directory, e.g. from rolemine gen)
import csv, json, os, shutil, subprocess, sys
import gen, reader, expect

BIN = os.environ.get('ROLEMINE', '/tmp/ref/rolemine')
PQ = os.environ.get('PQROWS', '/tmp/ref/parquetrows')
TMP = os.environ.get('REF_TMP', '/tmp/ref/cases')


def adopt_rules(u, out):
    roles = {r['role_id']: r for r in json.load(open(out + '/roles.json'))['roles']}
    u.rules, u.covered, u.role_counts = [], {}, {}
    for r in json.load(open(out + '/rules.json'))['rules']:
        k = roles[r['role_id']]['mining_rule']['index']
        u.covered[r['role_id']] = k
        u.rules.append((r['role_id'], crit_of(r), k))
    u.rules_of = None


def crit_of(rule):
    return tuple((c['attribute'], c['value']) for c in rule['criteria'])


def check(seed, keep=False):
    U = gen.gen(seed)
    d = '%s/c%d' % (TMP, seed)
    shutil.rmtree(d, ignore_errors=True)
    gen.write(d, U)
    if flat_inputs(d):
        # The generator rarely draws none of the universe's inputs (seed 783); such data
        # is read flat, which sections 15-16 and this reader do not cover.
        shutil.rmtree(d)
        return 'skip'
    u = reader.Universe(d, U['config'], U['flags'])
    exact = u.exact = u.run()
    out = d + 'o'
    p = subprocess.run([BIN, 'mine', '--data', d, '--config', d + '/config.xml', '--out', out] + U['flags'],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return ['rc %d %s' % (p.returncode, p.stderr.strip()[:300])]
    if not exact:
        # Too many candidates for the exhaustive search: classify with the product's
        # rules instead, and compare everything that follows from them.
        adopt_rules(u, out)
        u.classify()
        STATS['cases classified with the product\'s rules'] = STATS.get('cases classified with the product\'s rules', 0) + 1
    errs = compare(u, out, d)
    if seed % 4 == 0:
        workers(errs, d, out, U['flags'])
    if seed % 4 == 1:
        before = open(out + '/report.html', 'rb').read()
        p = subprocess.run([BIN, 'report', '--data', d, '--model', out], capture_output=True, text=True)
        if p.returncode != 0 or open(out + '/report.html', 'rb').read() != before:
            errs.append('rolemine report: rc %d, report.html %s' % (p.returncode, 'differs' if p.returncode == 0 else p.stderr[:200]))
    features(u, out)
    if not errs and not keep:
        shutil.rmtree(d)
        shutil.rmtree(out)
    return errs


STATS = {}


def workers(errs, d, out, flags):
    """The same run with 1 and 3 workers: every file byte-identical, summary.json's
    timings, start and worker count aside."""
    for w in ('1', '3'):
        o2 = out + '-w' + w
        subprocess.run([BIN, 'mine', '--data', d, '--config', d + '/config.xml', '--out', o2, '--workers', w] + flags,
                       capture_output=True, check=True)
        for f in sorted(x for x in os.listdir(out) if not x.startswith('.')):
            a, b = open(out + '/' + f, 'rb').read(), open(o2 + '/' + f, 'rb').read()
            if f == 'summary.json':
                a, b = strip_run(a), strip_run(b)
            if a != b:
                errs.append('workers %s: %s differs' % (w, f))
        shutil.rmtree(o2)


def strip_run(b):
    s = json.loads(b)
    for k in ('started', 'phases', 'workers'):
        s.pop(k, None)
    return s


def drift(errs, u, d, out):
    """rolemine drift of the model against its own data: section 16's drift actions."""
    dd = out + '-drift'
    flags = [f for k, f in enumerate(u.flags) if f in ('--as-of', '--unused-days') or (k and u.flags[k - 1] in ('--as-of', '--unused-days'))]
    p = subprocess.run([BIN, 'drift', '--model', out, '--data', d, '--out', dd] + flags, capture_output=True, text=True)
    if p.returncode != 0:
        errs.append('drift rc %d %s' % (p.returncode, p.stderr[:300]))
        return
    rows = list(csv.DictReader(open(dd + '/remediation.csv')))
    shutil.rmtree(dd)
    got = {}
    for r in rows:
        got.setdefault(r['action'], []).append((r['identity_id'], r['role_id']))
    rtype = {}
    for r in json.load(open(out + '/rules.json'))['rules']:
        rtype[(r['role_id'], crit_of(r))] = r['rule_type']
    acts = handed_out_dropped(u, [(i, r, rtype[m] == 'required') for i, r, m in u.suggestions])
    want = {'grant': [(i, r) for i, r, g in acts if g],
            'suggest': [(i, r) for i, r, g in acts if not g],
            'remove-redundant': [k for k, p in u.pairs.items() if p['redundant']],
            'revoke-unused': [k for k, p in u.pairs.items() if not p['inherited'] and p['usage'] == 'unused'],
            'reassign-owner': [(i, '') for i in u.order if u.has_owner_col and u.kind[i] != 'human'
                               and u.owner[i] and u.owner[i] not in u.kind]}
    for a, w in want.items():
        diff(errs, 'drift ' + a, sorted(got.get(a, [])), sorted(w))


def handed_out_dropped(u, acts):
    """acts: (identity, role, is_grant) of the plan; drops each one whose role another
    action of the same identity hands out through role grants and that action is at least
    as strong (a grant covers a suggest; of two equal actions on roles granting each
    other, the smaller role id is kept): semantics.md#drift-grant."""
    cache = {}

    def reach(a, b):
        if a not in cache:
            cache[a] = u.chains_from(a)
        return b in cache[a]

    def covers(g, r):
        if g[1] == r[1] or not reach(g[1], r[1]):
            return False
        if g[2] != r[2]:
            return g[2]
        return g[1] < r[1] or not reach(r[1], g[1])
    by_ident = {}
    for a in acts:
        by_ident.setdefault(a[0], []).append(a)
    return [a for a in acts if not any(b is not a and covers(b, a) for b in by_ident[a[0]])]


def matched_by_two(u, i, r):
    """Whether two or more rules of role r match identity i (scope and terms)."""
    return i in u.kind and sum(1 for rr, c, k in u.rules if rr == r and reader.in_scope(u.kind[i], u.config[k].get('EntityType', '*')) and u.match(i, c)) >= 2


def flat_inputs(d):
    """Whether data directory d is read flat, not as a universe (effective-privilege.md
    #outputs: no accounts, role_grants or attributes file, no owner_id or last_used
    column)."""
    if any(os.path.exists('%s/%s.csv' % (d, f)) for f in ('accounts', 'role_grants', 'attributes')):
        return False
    cols = lambda f: next(csv.reader(open('%s/%s.csv' % (d, f))), [])
    return 'owner_id' not in cols('identities') and 'last_used' not in cols('assignments')


def features(u, out):
    """Counts the cases that exercised each point of sections 15 and 16."""
    s = json.load(open(out + '/summary.json'))
    ps = u.pairs.values()
    f = {'rules': bool(u.rules), 'inherited': any(p['inherited'] for p in ps),
         'hidden inherited': any(p['hidden'] for p in ps), 'redundant': any(p['redundant'] for p in ps),
         'inherited of a role without rules, explained source': any(p['inherited'] and not u.has_rules(r) and p['status'] == 'explained' for (i, r), p in u.pairs.items()),
         'grant cycle': bool(s['effective']['grant_cycles']), 'self-grant': any(a == b for a, b in u.grants),
         'equal-length chains (lexical tie)': tie_seen(u),
         'UsedOnly rule': any(u.used_only_role(r) for r, c, k in u.rules),
         'unexplained for being unused': any(p['reason'] == 'unused' for p in ps),
         'holder matched by two rules of its role, with usage': u.has_last_used and any(matched_by_two(u, i, r) for (i, r) in u.pairs),
         'usage used/unused/unknown all present': u.has_last_used and all(any(p['usage'] == x for p in ps) for x in ('used', 'unused', 'unknown')),
         'last_used without any date': u.has_last_used and u.asof is None,
         'missing accounts': any(x['missing_accounts'] for x in s.get('systems', {}).values()),
         'possibly incomplete': any(x['possibly_incomplete'] for x in s.get('systems', {}).values()),
         'flagged for missing grants': any('predict' in x['incomplete_reason'] for x in s.get('systems', {}).values()),
         'flagged for missing accounts': any('lack an account' in x['incomplete_reason'] for x in s.get('systems', {}).values()),
         'identity beside an account absent from accounts': any(r['identity_id'] in u.kind and r.get('account_id') and (r.get('system'), r['account_id']) not in u.accounts for r in reader.read_csv(out[:-1] + '/assignments.csv')),
         'high-cardinality dimension skipped in one scope, kept in another': any(m['skipped_dimensions'] for m in s['mining_rules']) and any(set(u.skipped.get(k, [])) != set(u.skipped.get(0, [])) for k in u.skipped),
         'ExcludeRole withheld a role': bool(getattr(u, 'withheld', None)),
         'no accounts file': not os.path.exists(out[:-1] + '/accounts.csv'),
         'odd role ids (byte order)': any(not r[:1].isupper() for r in u.roles),
         'suggestions': bool(u.suggestions), 'orphans': bool(u.orphans),
         'multi-valued attribute in a rule': any(a == 'proj' for r, c, k in u.rules for a, v in c),
         'no_owner/owner_unknown/owner_not_human': bool(s.get('nhi_ownership')) and all(s['nhi_ownership'][k] for k in ('no_owner', 'owner_unknown', 'owner_not_human')),
         'pair with several accounts': any(len({(a, b) for a, b, _ in rows if b}) > 1 for rows in u.direct.values())}
    for k, v in f.items():
        STATS[k] = STATS.get(k, 0) + bool(v)


def tie_seen(u):
    for (i, r), p in u.pairs.items():
        if p['inherited']:
            n = len(p['via'])
            for s in u.held_direct[i]:
                q = u.chain_cache[s].get(r)
                if q and len(q) == n and q != p['via']:
                    return True
    return False


def diff(errs, what, got, want):
    if got != want:
        if isinstance(got, list) and isinstance(want, list):
            for k in range(max(len(got), len(want))):
                g = got[k] if k < len(got) else None
                w = want[k] if k < len(want) else None
                if g != w:
                    errs.append('%s: %d rows, want %d; first difference at %d: got %s want %s' % (what, len(got), len(want), k, g, w))
                    return
        errs.append('%s: got %s want %s' % (what, got, want))


def compare(u, out, d):
    errs = []
    rules = json.load(open(out + '/rules.json'))['rules']
    got = [(r['role_id'], crit_of(r)) for r in rules]
    want = [(r, c) for r, c, k in u.rules]
    if got != want:
        return ['rules: got %s want %s' % (got, want)]
    rid = {(r['role_id'], crit_of(r)): r['rule_id'] for r in rules}
    wc = expect.rule_counts(u)
    wu = expect.rule_usage(u, rid) if u.has_last_used else {}
    for r in rules:
        diff(errs, 'rule %s counts' % r['rule_id'], (r['support'], r['tp'], r['fp']), wc[(r['role_id'], crit_of(r))])
        if u.has_last_used:
            diff(errs, 'rule %s usage' % r['rule_id'], {k: r.get(k) for k in ('usage', 'unused_pct', 'over_broad')}, wu[r['rule_id']])
    for r in rules:
        k = u.covered[r['role_id']]
        diff(errs, 'rule %s entity_type' % r['rule_id'], r['entity_type'], u.config[k].get('EntityType', '*'))
    for r in json.load(open(out + '/roles.json'))['roles']:
        rr = r['role_id']
        if rr in u.role_counts:
            diff(errs, 'role %s counts' % rr, (r['n'], r['tp'], r['fp'], r['fn'], r['tn']), u.role_counts[rr])
        elif rr not in u.covered and u.exact:
            if rr in u.last_scope:
                n, h = u.last_scope[rr]
            else:  # considered by no mining rule: all identities, without the grant-only ones
                n = sum(1 for i in u.order if not ((i, rr) in u.pairs and u.pairs[(i, rr)]['inherited']))
                h = sum(1 for i in u.order if (i, rr) in u.direct)
            diff(errs, 'uncovered role %s counts' % rr, (r['n'], r['tp'], r['fp'], r['fn'], r['tn'], r['covered'],
                 r['excluded_by'] is not None), (n, 0, 0, h, n - h, False, rr in u.withheld))
    # assignments.parquet
    dump = subprocess.run([PQ, '-dump', out + '/assignments.parquet'], capture_output=True, text=True, check=True).stdout
    rows = [json.loads(x) for x in dump.splitlines()]
    for x in rows:  # builds before the eighteenth session wrote some nulls as ""; read "" as null
        for k in ('rule_id', 'system', 'account_id', 'via', 'usage'):
            if x.get(k) == '':
                x[k] = None
    pairs_rows = [x for x in rows if x['status'] != 'orphan']
    orphan_rows = [x for x in rows if x['status'] == 'orphan']
    diff(errs, 'orphans last', rows[len(pairs_rows):], orphan_rows)
    order = [(u.pos.get(x['identity_id'], -1), x['role_id']) for x in pairs_rows]
    diff(errs, 'pair row order', order == sorted(order), True)
    seen = set()
    for x in pairs_rows:
        key = (x['identity_id'], x['role_id'])
        if key not in u.pairs:
            errs.append('extra pair %s' % (key,))
            continue
        seen.add(key)
        p = u.pairs[key]
        want = {'kind': u.kind[key[0]], 'status': p['status'], 'rule_id': rid[p['rule']] if p['rule'] else None,
                'system': None if p['system'] == reader.NOSYS else p['system'], 'account_id': p['account'],
                'inherited': p['inherited'], 'via': ' > '.join(p['via']) if p['via'] else None,
                'redundant': p['redundant'], 'hidden': p['hidden']}
        if u.has_last_used:
            want['usage'] = p['usage']
        got = {k: x.get(k) for k in want}
        diff(errs, 'pair %s' % (key,), got, want)
    for key in u.pairs:
        if key not in seen:
            errs.append('missing pair %s' % (key,))
    for x in orphan_rows:
        want = {'kind': '', 'status': 'orphan', 'rule_id': None, 'system': x.get('system'),
                'account_id': x.get('account_id'), 'inherited': False, 'via': None, 'redundant': False, 'hidden': False}
        if u.has_last_used:
            want['usage'] = None
        diff(errs, 'orphan row', {k: x.get(k) for k in want}, want)
    got_o = sorted((x['identity_id'], x['role_id'], x.get('system') or '', x.get('account_id') or '') for x in orphan_rows)
    diff(errs, 'orphans', got_o, sorted(u.orphans))
    # suggestions
    dump = subprocess.run([PQ, '-dump', out + '/suggestions.parquet'], capture_output=True, text=True, check=True).stdout
    got_s = [(x['identity_id'], x['role_id'], x['rule_id']) for x in map(json.loads, dump.splitlines())]
    want_s = sorted(((i, r, rid[m]) for i, r, m in u.suggestions), key=lambda x: (u.pos[x[0]], x[1]))
    diff(errs, 'suggestions', got_s, want_s)
    # summary.json
    s = json.load(open(out + '/summary.json'))
    e, we = s['effective'], expect.effective(u)
    for k in ('direct', 'effective', 'grant_cycles', 'role_grants', 'identities_with_owner'):
        diff(errs, 'effective.' + k, e[k], we[k])
    for kind, c in we['by_kind'].items():
        diff(errs, 'effective.by_kind.' + kind, e['by_kind'].get(kind), c)
    diff(errs, 'hidden_by_grant', e['hidden_by_grant'], expect.hidden_by_grant(u))
    diff(errs, 'findings', e['findings'], expect.findings(u, d))
    a = s['assignments']
    direct = we['direct']
    diff(errs, 'assignments', (a['known'], a['explained'], a['unexplained'], a['orphans']),
         (direct['total'], direct['explained'], direct['unexplained'], len(u.orphans)))
    diff(errs, 'suggestions count', s['suggestions'], len(u.suggestions))
    for kind in set(u.kind.values()):
        ps = [p for (i, r), p in u.pairs.items() if u.kind[i] == kind and not p['inherited']]
        g = a['by_kind'].get(kind, {})
        diff(errs, 'assignments.by_kind.' + kind, (g.get('total', 0), g.get('explained', 0), g.get('unexplained', 0)),
             (len(ps), sum(p['status'] == 'explained' for p in ps), sum(p['status'] == 'unexplained' for p in ps)))
    ws = expect.systems(u)
    gs = s.get('systems', {})
    diff(errs, 'systems keys', sorted(gs), sorted(k for k, v in ws.items() if any(v[x] for x in ('accounts', 'assignments', 'orphans', 'suggestions'))))
    for name, w in ws.items():
        if name in gs:
            g = {k: gs[name][k] for k in w}
            diff(errs, 'systems.' + name, g, w)
    for m in s['mining_rules']:
        diff(errs, 'mining rule %d skipped_dimensions' % m['index'], sorted(m['skipped_dimensions']), sorted(u.skipped.get(m['index'], [])))
    wu = expect.usage(u)
    if wu is not None or 'usage' in s:
        diff(errs, 'usage', s.get('usage'), wu)
    wo, worows = expect.ownership(u)
    diff(errs, 'nhi_ownership', s.get('nhi_ownership'), wo)
    if worows is not None:
        got = list(csv.reader(open(out + '/ownership.csv')))[1:]
        diff(errs, 'ownership.csv', got, worows)
    owners = sorted({o for i, o in u.owner.items() if o in u.kind and u.kind[i] != 'human'})
    for x in owners[:3] + [i for i in u.order if u.kind[i] != 'human'][:1]:
        p = subprocess.run([BIN, 'explain', '--data', d, '--model', out, '--identity', x, '--json'],
                           capture_output=True, text=True, check=True)
        got = json.loads(p.stdout)
        got = {k: got[k] for k in ('owner_id', 'owner_finding', 'owns', 'roles_through_owned') if k in got}
        diff(errs, 'explain %s owners' % x, got, expect.owns(u, x))
    drift(errs, u, d, out)
    got = list(csv.reader(open(out + '/review.csv')))[1:]
    diff(errs, 'review.csv', got, expect.review(u))
    got = list(csv.reader(open(out + '/excess.csv')))[1:]
    diff(errs, 'excess.csv', got, expect.excess(u))
    return errs


def check_dir(d, config, flags):
    """An existing data directory (e.g. `rolemine gen --universe --usage --format csv`),
    classified with the product's rules: too large for the exhaustive search."""
    import xml.etree.ElementTree as ET
    mrs = [{'EntityType': '*', 'PrecisionMinPercentage': 95, 'FalsePositiveMaxPercentage': 5, 'MaxDimensions': 2,
            'MinIdentitiesCount': 3}]
    args = []
    if '--used-only' in flags:
        mrs[0]['UsedOnly'] = 'true'
    if config:
        mrs = [dict(e.attrib) for e in ET.parse(config).iter() if e.tag.split('}')[-1] == 'MiningRule']
        args = ['--config', config]
    u = reader.Universe(d, mrs, flags)
    u.expand()
    u.usage_setup()
    u.skipped = {}
    for k, mr in enumerate(mrs):
        U = [i for i in u.order if reader.in_scope(u.kind[i], mr.get('EntityType', '*'))]
        u.skipped[k] = [a for a in u.dims if 2 * len({v for i in U for v in u.val[i].get(a, set())}) > len(U)]
    u.exact = False
    out = d.rstrip('/') + '-out'
    subprocess.run([BIN, 'mine', '--data', d, '--out', out] + args + flags, capture_output=True, check=True)
    adopt_rules(u, out)
    u.classify()
    return compare(u, out, d)


if __name__ == '__main__' and sys.argv[1] == '--dir':
    config = sys.argv[3] if len(sys.argv) > 3 and not sys.argv[3].startswith('--') else None
    flags = [a for a in sys.argv[3 + (config is not None):]]
    e = check_dir(sys.argv[2], config, flags)
    for x in e[:20]:
        print('   ', x[:700])
    print('disagreements', len(e))
    sys.exit(0)
if __name__ == '__main__':
    bad = skip = ok = 0
    for seed in range(int(sys.argv[1]), int(sys.argv[2])):
        e = check(seed)
        if e == 'skip':
            skip += 1
            continue
        if e:
            bad += 1
            print(seed, len(e))
            for x in e[:6]:
                print('   ', x[:600])
        else:
            ok += 1
    print('ok', ok, 'bad', bad, 'skip', skip)
    for k, v in STATS.items():
        print('  %4d cases: %s' % (v, k))
