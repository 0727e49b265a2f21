# What the section 15/16 reader expects of each output (scripts/ref).
from reader import NOSYS, parse_time
import datetime
import math

PAIRKEYS = ('total', 'explained', 'unexplained', 'inherited', 'hidden_inherited', 'redundant')


def counts(ps):
    c = dict.fromkeys(PAIRKEYS, 0)
    for p in ps:
        c['total'] += 1
        c[p['status']] += 1
        c['inherited'] += p['inherited']
        c['hidden_inherited'] += p['hidden']
        c['redundant'] += p['redundant']
    return c


def effective(u):
    direct = [p for p in u.pairs.values() if not p['inherited']]
    out = {'direct': counts(direct), 'effective': counts(u.pairs.values()), 'by_kind': {}}
    for kind in sorted(set(u.kind.values())):
        ps = [p for (i, r), p in u.pairs.items() if u.kind[i] == kind]
        out['by_kind'][kind] = {'direct': counts([p for p in ps if not p['inherited']]), 'effective': counts(ps)}
    out['grant_cycles'] = cycles(u)
    out['role_grants'] = len(u.grants)
    out['identities_with_owner'] = sum(1 for o in u.owner.values() if o)
    return out


def cycles(u):
    """Strongly connected sets of roles with a grant inside: reachability, literally."""
    roles = sorted(u.roles)
    reach = {r: set(u.chains_from(r)) for r in roles}
    out = set()
    for r in roles:
        if r in reach[r]:
            out.add(tuple(sorted(x for x in roles if x in reach[r] and r in reach[x])))
    return sorted(list(c) for c in out)


def peer_key(u, i):
    def vals(names):
        for n in names:
            if n in u.dims:  # decision: several values group by the smallest (as review.csv's peers)
                return min(u.val[i][n]) if u.val[i][n] else None
        return None
    return (u.kind[i], vals(['department', 'dept']), vals(['title', 'job_title']))


def systems(u):
    S = {}

    def s(name):
        name = name or NOSYS
        return S.setdefault(name, {'accounts': 0, 'uncorrelated_accounts': 0, 'assignments': 0, 'explained': 0,
                                   'unexplained': 0, 'inherited': 0, 'hidden_inherited': 0, 'orphans': 0,
                                   'suggestions': 0, 'missing_accounts': 0, 'direct_explained': 0})
    for r in u.account_rows:
        s(r['system'])['accounts'] += 1
        if not r['identity_id']:
            s(r['system'])['uncorrelated_accounts'] += 1
    for (i, r), p in u.pairs.items():
        x = s(p['system'])
        x['assignments'] += 1
        x[p['status']] += 1
        x['inherited'] += p['inherited']
        x['hidden_inherited'] += p['hidden']
        if not p['inherited'] and p['status'] == 'explained':
            x['direct_explained'] += 1
    # orphans and suggestions without a system count under NOSYS, so that the systems add
    # up to the totals; NOSYS is never flagged
    for (i, r, sy, a) in u.orphans:
        s(sy)['orphans'] += 1
    for (i, r, m) in u.suggestions:
        s(u.roles[r]['application'])['suggestions'] += 1
    groups = {}
    for i in u.order:
        groups.setdefault(peer_key(u, i), []).append(i)
    for sy in sorted({r['system'] for r in u.account_rows}):
        has = {r['identity_id'] for r in u.account_rows if r['system'] == sy and r['identity_id'] in u.kind}
        with_acct = {k: sum(1 for j in g if j in has) for k, g in groups.items()}
        for i in u.order:
            k = peer_key(u, i)
            g = groups[k]
            if i not in has and len(g) >= 5 and 100 * with_acct[k] > 80 * len(g):
                s(sy)['missing_accounts'] += 1
    for name, x in S.items():
        pred = x['direct_explained'] + x['suggestions']
        x['suggested_pct'] = math.floor(10000 * x['suggestions'] / pred + 0.5) / 100 if pred else 0
    for name, x in S.items():
        others = sorted(y['suggested_pct'] for n, y in S.items()
                        if n != name and n != NOSYS and y['direct_explained'] + y['suggestions'] > 0)
        flag = False
        if others:
            k = len(others)
            med = others[k // 2] if k % 2 else (others[k // 2 - 1] + others[k // 2]) / 2
            flag = x['suggestions'] >= 10 and x['suggested_pct'] > 2 and x['suggested_pct'] > 2 * med
        corr = x['accounts'] - x['uncorrelated_accounts']
        flag = flag or (x['missing_accounts'] > 0 and x['missing_accounts'] * 20 > corr)
        x['possibly_incomplete'] = flag and name != NOSYS
    return S


def fmt_time(t):
    if t.hour == t.minute == t.second == t.microsecond == 0:
        return t.strftime('%Y-%m-%d')
    return t.strftime('%Y-%m-%dT%H:%M:%S') + ('.%06d' % t.microsecond).rstrip('0').rstrip('.') + 'Z' if t.microsecond else t.strftime('%Y-%m-%dT%H:%M:%SZ')


def usage(u):
    if not u.has_last_used:
        return None
    out = {'as_of': fmt_time(u.asof) if u.asof else '', 'unused_days': u.unused_days,
           'used': 0, 'unused': 0, 'unknown': 0, 'by_kind': {}, 'by_system': {}}
    for (i, r), p in u.pairs.items():
        out[p['usage']] += 1
        for key, name in (('by_kind', u.kind[i]), ('by_system', p['system'])):
            d = out[key].setdefault(name, {'used': 0, 'unused': 0, 'unknown': 0})
            d[p['usage']] += 1
    return out


def ownership(u):
    """nhi_ownership and ownership.csv's rows."""
    if not u.has_owner_col:
        return None, None
    c = {'non_human': 0, 'owned_by_human': 0, 'no_owner': 0, 'owner_unknown': 0, 'owner_not_human': 0}
    rows = []
    for i in u.order:
        if u.kind[i] == 'human':
            continue
        c['non_human'] += 1
        o = u.owner[i]
        if not o:
            f = 'no_owner'
        elif o not in u.kind:
            f = 'owner_unknown'
        elif u.kind[o] != 'human':
            f = 'owner_not_human'
        else:
            f = 'owned_by_human'
        c[f] += 1
        if f != 'owned_by_human':
            ps = u.by_ident.get(i, [])
            rows.append([i, u.kind[i], o, f, str(len(ps)), str(sum(p['status'] == 'unexplained' for r, p in ps)),
                         str(sum(u.roles[r]['validations'] >= 2 for r, p in ps))])
    return c, rows


def excess(u):
    rows = []
    for i in u.order:
        ps = u.by_ident.get(i, [])
        w = lambda r: 1 + u.roles[r]['validations']
        uw = sum(w(r) for r, p in ps if p['status'] == 'unexplained')
        nw = sum(w(r) for r, p in ps if p['usage'] == 'unused')
        uc = sum(p['status'] == 'unexplained' for r, p in ps)
        nc = sum(p['usage'] == 'unused' for r, p in ps)
        # The score counts pairs; the weighted score (1 + validations a pair), then its
        # unexplained part, break ties (excess-privilege.md#excess).
        if uc + nc > 0:
            grp = 'human' if u.kind[i] == 'human' else 'non_human'
            rows.append((grp != 'human', -(uc + nc), -(uw + nw), -uw, u.pos[i],
                         [grp, i, u.kind[i], str(uc + nc), str(uw), str(nw), str(len(ps)), str(uc), str(nc),
                          str(sum(p['usage'] == 'unknown' for r, p in ps))]))
    rows.sort(key=lambda x: x[:5])
    out, rank, last = [], 0, None
    for x in rows:
        rank = rank + 1 if x[5][0] == last else 1
        last = x[5][0]
        out.append([x[5][0], str(rank)] + x[5][1:])
    return out


def review(u):
    used_only = any(mr.get('UsedOnly') == 'true' for mr in u.config) and u.has_last_used
    rows = []
    for (i, r), p in u.pairs.items():
        if p['status'] != 'unexplained':
            continue
        v = u.roles[r]['validations']
        key = (not (p['inherited'] and v >= 2), -v, u.kind[i] == 'human', not p['hidden'], u.pos[i], r)
        row = [i, u.kind[i], str(u.kind[i] != 'human').lower(), r, u.roles[r]['category'], str(v),
               '' if p['system'] == NOSYS else p['system'], p['account'] or '', str(p['inherited']).lower(),
               ' > '.join(p['via']) if p['via'] else '', str(p['hidden']).lower(), str(p['redundant']).lower()]
        if used_only:
            row.append(p['reason'])
        rows.append((key, row))
    rows.sort()
    return [[str(k + 1)] + row for k, (key, row) in enumerate(rows)]


def hidden_by_grant(u):
    g = {}
    for (i, r), p in u.pairs.items():
        if p['hidden']:
            key = (p['via'][-2], p['via'][-1])
            x = g.setdefault(key, {'grant': key[0] + ' > ' + key[1], 'role_id': r,
                                   'validations': u.roles[r]['validations'], 'identities': 0, 'by_kind': {}})
            x['identities'] += 1
            x['by_kind'][u.kind[i]] = x['by_kind'].get(u.kind[i], 0) + 1
    return sorted(g.values(), key=lambda x: (-x['identities'], x['grant']))


def findings(u, d):
    import reader
    rows = reader.read_csv(d + '/assignments.csv')
    named = {r['role_id'] for r in rows} | set((reader.read_csv(d + '/roles.csv') or []) and
                                               [x['role_id'] for x in reader.read_csv(d + '/roles.csv')])
    attrs = reader.read_csv(d + '/attributes.csv') or []
    unk = [r['identity_id'] for r in attrs if r['identity_id'] not in u.kind]
    ids = reader.read_csv(d + '/identities.csv')
    seen, dup = {(r['identity_id'], a, r[a]) for r in ids for a in r if r[a]}, 0
    for r in attrs:
        if r['identity_id'] in u.kind:
            k = (r['identity_id'], r['attribute'], r['value'])
            dup += k in seen
            seen.add(k)
    first = []
    for x in unk:
        if x not in first:
            first.append(x)
    return {'uncorrelated_accounts': sum(1 for r in u.account_rows if not r['identity_id']),
            'accounts_of_unknown_identities': sum(1 for r in u.account_rows if r['identity_id'] and r['identity_id'] not in u.kind),
            'unknown_account_assignments': sum(1 for r in rows if r.get('account_id') and (r['system'], r['account_id']) not in u.accounts),
            'implicit_grant_roles': len({x for g in u.grants for x in g} - named),
            'attribute_rows_of_unknown_identities': len(unk),
            'unknown_attribute_identities': first[:20],
            'duplicate_attribute_values': dup}


def rule_usage(u, rid):
    """rules.json's usage fields by rule id, for data with a last_used column: the usage of
    the rule's matched holders, every effective pair (direct or inherited) of its role
    whose identity is in the rule's scope and has its terms, explained or not; each rule
    on its own, so a holder two rules match counts for both."""
    from reader import in_scope
    out = {}
    for r, c, k in u.rules:
        n = {'used': 0, 'unused': 0, 'unknown': 0}
        et = u.config[k].get('EntityType', '*')
        for (i, role), p in u.pairs.items():
            if role == r and i in u.kind and in_scope(u.kind[i], et) and u.match(i, c):
                n[p['usage']] += 1
        # 4 decimals, halves away from zero (as the product's JSON figures)
        pct = None if n['used'] + n['unused'] == 0 else math.floor(100 * n['unused'] / (n['used'] + n['unused']) * 10000 + 0.5) / 10000
        out[rid[(r, c)]] = {'usage': n, 'unused_pct': pct, 'over_broad': pct is not None and pct > 50}
    return out


def rule_counts(u):
    """(support, tp, fp) of each rule over its role's scope without the neutral identities."""
    from reader import in_scope
    out = {}
    for r, c, k in u.rules:
        mr = u.config[k]
        S = [i for i in u.order if in_scope(u.kind[i], mr.get('EntityType', '*'))
             and not ((i, r) in u.pairs and u.pairs[(i, r)]['inherited'])
             and not (mr.get('UsedOnly') == 'true' and (i, r) in u.direct and u.direct_usage(i, r) == 'unused')]
        M = [i for i in S if u.match(i, c)]
        tp = sum(1 for i in M if (i, r) in u.direct)
        out[(r, c)] = (len(M), tp, len(M) - tp)
    return out


def owns(u, x):
    """explain --json's owner fields of identity x."""
    out = {}
    if u.has_owner_col and u.kind[x] != 'human':
        o = u.owner[x]
        if o:
            out['owner_id'] = o
        out['owner_finding'] = ('no_owner' if not o else 'owner_unknown' if o not in u.kind else
                                'owner_not_human' if u.kind[o] != 'human' else 'owned')
    mine = {r for r, p in u.by_ident.get(x, [])}
    owned, through = [], set()
    for i in u.order:
        if u.has_owner_col and i != x and u.kind[i] != 'human' and u.owner[i] == x:
            roles = sorted(r for r, p in u.by_ident.get(i, []))
            owned.append({'identity_id': i, 'kind': u.kind[i], 'roles': roles,
                          'unexplained': sum(1 for r in roles if u.pairs[(i, r)]['status'] == 'unexplained')})
            through |= set(roles) - mine
    if owned:
        out['owns'] = owned
    if through:
        out['roles_through_owned'] = sorted(through)
    return out
