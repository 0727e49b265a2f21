# A literal reader of DESIGN.md sections 15 and 16 and docs/effective-privilege.md,
# docs/excess-privilege.md (scripts/ref). Plain loops and sets; standard library only.
import csv, datetime, itertools, os

NOSYS = '(no system)'


def read_csv(path):
    if not os.path.exists(path):
        return None
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def parse_time(s):
    """RFC 3339 date (midnight UTC) or date-time with upper-case T."""
    if 'T' not in s:
        return datetime.datetime.strptime(s, '%Y-%m-%d').replace(tzinfo=datetime.timezone.utc)
    return datetime.datetime.fromisoformat(s.replace('Z', '+00:00')).astimezone(datetime.timezone.utc)


def in_scope(kind, et):
    for e in (x.strip() for x in et.split(',')):
        if e == '*' or e == kind or (e == 'nhi' and kind != 'human'):
            return True
    return False


class Universe:
    def __init__(self, d, config, flags):
        self.load(d)
        self.flags = flags
        self.config = config

    # ---------- inputs ----------
    def load(self, d):
        ids = read_csv(d + '/identities.csv')
        self.order = [r['identity_id'] for r in ids]
        self.pos = {i: k for k, i in enumerate(self.order)}
        self.kind = {r['identity_id']: (r.get('kind') or 'human') for r in ids}
        self.has_owner_col = 'owner_id' in ids[0] if ids else False
        self.owner = {r['identity_id']: r.get('owner_id', '') for r in ids}
        self.dims = [c for c in ids[0].keys() if c not in ('identity_id', 'kind', 'owner_id')] if ids else []
        self.val = {}  # identity -> attribute -> set of values
        for r in ids:
            v = {a: ({r[a]} if r[a] else set()) for a in self.dims}
            v['kind'] = {self.kind[r['identity_id']]}
            self.val[r['identity_id']] = v
        attrs = read_csv(d + '/attributes.csv') or []
        for r in attrs:
            if r['identity_id'] in self.val and r['value']:
                if r['attribute'] not in self.dims:
                    self.dims.append(r['attribute'])
                    for v in self.val.values():
                        v.setdefault(r['attribute'], set())
                self.val[r['identity_id']][r['attribute']].add(r['value'])
        self.roles = {}
        for r in read_csv(d + '/roles.csv') or []:
            self.roles[r['role_id']] = {'category': r.get('category', ''), 'validations': int(r.get('validations') or 0),
                                        'application': r.get('application', '')}
        self.accounts = {}
        self.account_rows = read_csv(d + '/accounts.csv') or []
        for r in self.account_rows:
            self.accounts[(r['system'], r['account_id'])] = r['identity_id']
        self.grants = set()
        for r in read_csv(d + '/role_grants.csv') or []:
            self.grants.add((r['role_id'], r['grants_role_id']))
        rows = read_csv(d + '/assignments.csv')
        self.has_last_used = bool(rows) and 'last_used' in rows[0]
        # every row's date, orphan rows included: the default --as-of is the newest
        # (excess-privilege.md#usage)
        self.row_dates = [r['last_used'] for r in rows if r.get('last_used')]
        self.direct = {}  # (i, r) -> list of (system, account, last_used)
        self.orphans = set()  # (identity or '', role, system, account)
        for r in rows:
            iid, role, s, a = r['identity_id'], r['role_id'], r.get('system', ''), r.get('account_id', '')
            lu = r.get('last_used', '')
            self.implicit(role)
            if a:
                owner = self.accounts.get((s, a))
                if owner is None and iid in self.kind:
                    # decision (effective-privilege.md#absent-account): a known identity beside an account absent
                    # from accounts holds the access, granted on the identity alone
                    self.direct.setdefault((iid, role), []).append(('', '', lu))
                    continue
                if owner is None:
                    self.orphans.add((iid, role, s, a))
                    continue
                who = owner or iid
                if who not in self.kind:
                    self.orphans.add((who, role, s, a))
                    continue
                self.direct.setdefault((who, role), []).append((s, a, lu))
            else:
                if iid not in self.kind:
                    # an orphan named by identity alone takes its role's application, as a
                    # direct pair does (effective-privilege.md#decisions)
                    self.orphans.add((iid, role, self.roles[role]['application'], ''))
                    continue
                self.direct.setdefault((iid, role), []).append(('', '', lu))
        for a, b in sorted(self.grants):
            self.implicit(a)
            self.implicit(b)

    def implicit(self, role):
        if role not in self.roles:
            self.roles[role] = {'category': '', 'validations': 0, 'application': ''}

    # ---------- effective access ----------
    def chains_from(self, src):
        """Every target reachable from src through one or more grants -> the shortest chain,
        ties lexical, found by enumerating simple paths (a chain may end at src itself)."""
        succ = {}
        for a, b in self.grants:
            succ.setdefault(a, []).append(b)
        best = {}

        def walk(path):
            for b in succ.get(path[-1], []):
                p = path + [b]
                if b not in best or (len(p), p) < (len(best[b]), best[b]):
                    best[b] = p
                if b not in path:
                    walk(p)
        walk([src])
        return best

    def expand(self):
        self.chain_cache = {}
        held = {}
        for (i, r) in self.direct:
            held.setdefault(i, set()).add(r)
        self.held_direct = held
        self.pairs = {}  # (i, r) -> dict
        for i in self.order:
            D = held.get(i, set())
            reach = {}  # target -> best chain over all sources
            redundant = set()
            for s in D:
                if s not in self.chain_cache:
                    self.chain_cache[s] = self.chains_from(s)
                for t, p in self.chain_cache[s].items():
                    if t in D:
                        if t != s:
                            redundant.add(t)
                        continue
                    if t not in reach or (len(p), p) < (len(reach[t]), reach[t]):
                        reach[t] = p
            for r in D:
                self.pairs[(i, r)] = {'inherited': False, 'redundant': r in redundant, 'via': None}
            for t, p in reach.items():
                self.pairs[(i, t)] = {'inherited': True, 'redundant': False, 'via': p}

    # ---------- usage ----------
    def usage_setup(self):
        self.asof = None
        if not self.has_last_used:
            return
        dates = [parse_time(lu) for lu in self.row_dates]
        f = self.flags
        self.unused_days = int(f[f.index('--unused-days') + 1]) if '--unused-days' in f else 90
        if '--as-of' in f:
            self.asof = parse_time(f[f.index('--as-of') + 1])
        elif dates:
            self.asof = max(dates)
        # the rows decide which systems have usage data, each row in its own system (its
        # account's, else its role's application), not the pairs they fold into
        # (excess-privilege.md#usage)
        self.systems_with_dates = set()
        for (i, r), rows in self.direct.items():
            for (s, a, lu) in rows:
                if lu:
                    self.systems_with_dates.add(s if a else self.roles[r]['application'] or NOSYS)

    def direct_usage(self, i, r):
        if not self.has_last_used or self.asof is None:
            return 'unknown'
        ds = [parse_time(lu) for (_, _, lu) in self.direct[(i, r)] if lu]
        if not ds:
            # no date: unused where the pair's system has usage data, else unknown
            return 'unused' if self.direct_system(i, r) in self.systems_with_dates else 'unknown'
        last = max(ds)
        return 'used' if self.asof - last <= datetime.timedelta(days=self.unused_days) else 'unused'

    # ---------- systems ----------
    def pair_account(self, i, r):
        accts = sorted((s, a) for (s, a, _) in self.direct[(i, r)] if a)
        return accts[0] if accts else None

    def direct_system(self, i, r):
        acc = self.pair_account(i, r)
        if acc:
            return acc[0]
        return self.roles[r]['application'] or NOSYS

    def pair_system(self, i, r):
        p = self.pairs[(i, r)]
        if not p['inherited']:
            return self.direct_system(i, r)
        for role in reversed(p['via'][1:]):  # the source's own system is its direct pair's
            if self.roles[role]['application']:
                return self.roles[role]['application']
        return self.direct_system(i, p['via'][0])

    # ---------- matching ----------
    def match(self, i, crit):
        return all(v in self.val[i].get(a, set()) for a, v in crit)

    # ---------- mining (section 5 with section 15's neutral identities) ----------
    def mine(self, max_cands=14):
        """Returns False when a role has more candidates than the exact optimum covers."""
        mrs = self.config
        order = sorted(range(len(mrs)), key=lambda k: (-int(mrs[k].get('Priority', 0)), k))
        self.covered = {}  # role -> mining rule index
        self.skipped = {}
        self.withheld, self.last_scope = set(), {}
        self.rules = []  # (role, criterion, mining rule index), role then rule order
        self.role_counts = {}
        found = {}
        for k, mr in enumerate(mrs):
            U = [i for i in self.order if in_scope(self.kind[i], mr.get('EntityType', '*'))]
            self.skipped[k] = [a for a in self.dims
                               if 2 * len({v for i in U for v in self.val[i].get(a, set())}) > len(U)]
        for k in order:
            mr = mrs[k]
            et = mr.get('EntityType', '*')
            U = [i for i in self.order if in_scope(self.kind[i], et)]
            n_all = len(U)
            dims = ['kind'] + [a for a in self.dims
                               if 2 * len({v for i in U for v in self.val[i].get(a, set())}) <= n_all]
            fpmax = float(mr.get('FalsePositiveMaxPercentage', 0))
            pmin = float(mr.get('PrecisionMinPercentage', 100))
            mn = int(mr.get('MinIdentitiesCount', 3))
            md = int(mr.get('MaxDimensions', 2))
            used_only = mr.get('UsedOnly') == 'true'
            for r in sorted(self.roles):
                if r in self.covered or r in self.withheld:
                    continue
                if 'Category' in mr and mr['Category'] != self.roles[r]['category']:
                    continue
                direct = {i for i in U if (i, r) in self.direct}
                grant_only = {i for i in U if (i, r) in self.pairs and self.pairs[(i, r)]['inherited']}
                neutral = set(grant_only)
                if used_only:
                    neutral |= {i for i in direct if self.direct_usage(i, r) == 'unused'}
                S = [i for i in U if i not in neutral]
                H = {i for i in S if i in direct}
                n = len(S)
                self.last_scope[r] = (n, len(H))
                if mr.get('ExcludeRole') == 'true':
                    self.withheld.add(r)
                    continue
                if not H:
                    continue
                cands = []
                for m in range(1, md + 1):
                    for atts in itertools.combinations(sorted(dims), m):
                        pools = [sorted({v for i in U for v in self.val[i].get(a, set())}) for a in atts]
                        for vs in itertools.product(*pools):
                            c = tuple(zip(atts, vs))
                            M = {i for i in S if self.match(i, c)}
                            tp = len(M & H)
                            sup = len(M)
                            if tp < 1 or sup < mn or 100 * (sup - tp) > fpmax * sup:
                                continue
                            go = sum(1 for i in grant_only if self.match(i, c))
                            # decision (effective-privilege.md#used-only-evidence): the direct side is the holders it matches
                            # (tp); unused holders under UsedOnly stay out of the condition
                            if go > tp:
                                continue
                            cands.append((c, M))
                if len(cands) > max_cands:
                    return False
                best = None
                for size in range(1, len(cands) + 1):
                    for sub in itertools.combinations(cands, size):
                        M = set().union(*[s[1] for s in sub])
                        TP, FP = len(M & H), len(M - H)
                        FN = len(H - M)
                        TN = n - TP - FP - FN
                        if 100 * FP > fpmax * (TP + FP) or 100 * (TP + TN) < pmin * n:
                            continue
                        key = (-TP, FP, len(sub), sum(len(s[0]) for s in sub), sorted(s[0] for s in sub))
                        if best is None or key < best[0]:
                            best = (key, sub, (n, TP, FP, FN, TN))
                if best:
                    self.covered[r] = k
                    self.role_counts[r] = best[2]
                    found[r] = sorted(s[0] for s in best[1])
        for r in sorted(found):
            for c in found[r]:
                self.rules.append((r, c, self.covered[r]))
        self.rules_of = None
        return True

    def rule_matches(self, r, i):
        """The first rule of r (rule order) that matches identity i, or None."""
        if getattr(self, 'rules_of', None) is None:
            self.rules_of = {}
            for x in self.rules:
                self.rules_of.setdefault(x[0], []).append(x)
        for rr, c, k in self.rules_of.get(r, []):
            if rr == r and in_scope(self.kind[i], self.config[k].get('EntityType', '*')) and self.match(i, c):
                return (rr, c)
        return None

    def has_rules(self, r):
        self.rule_matches(r, self.order[0]) if self.order else None  # builds rules_of
        return bool(self.rules_of.get(r)) if self.order else False

    def used_only_role(self, r):
        return r in self.covered and self.config[self.covered[r]].get('UsedOnly') == 'true'

    # ---------- classification ----------
    def classify(self):
        for (i, r), p in sorted(self.pairs.items(), key=lambda x: (self.pos[x[0][0]], x[0][1])):
            if not p['inherited']:
                self.classify_direct(i, r, p)
        for (i, r), p in self.pairs.items():
            if p['inherited']:
                src = p['via'][0]
                sp = self.pairs[(i, src)]
                m = self.rule_matches(r, i)
                if self.has_rules(r):
                    p['status'] = 'explained' if m else 'unexplained'
                    p['rule'] = m
                    p['hidden'] = not m
                    p['reason'] = '' if m else 'unmatched'
                else:
                    p['status'], p['rule'], p['hidden'], p['reason'] = sp['status'], sp['rule'], False, sp['reason']
                p['usage'] = sp['usage']
                p['system'] = self.pair_system(i, r)
                p['account'] = None
        self.by_ident = {}
        for (i, r), p in self.pairs.items():
            self.by_ident.setdefault(i, []).append((r, p))
        self.suggestions = []
        for r in sorted(self.roles):
            for i in self.order:
                if (i, r) not in self.pairs and self.rule_matches(r, i):
                    self.suggestions.append((i, r, self.rule_matches(r, i)))

    def classify_direct(self, i, r, p):
        m = self.rule_matches(r, i)
        p['usage'] = self.direct_usage(i, r)
        p['hidden'] = False
        if m and self.used_only_role(r) and p['usage'] == 'unused':
            p['status'], p['rule'], p['reason'] = 'unexplained', None, 'unused'
        elif m:
            p['status'], p['rule'], p['reason'] = 'explained', m, ''
        else:
            p['status'], p['rule'], p['reason'] = 'unexplained', None, 'unmatched'
        p['system'] = self.direct_system(i, r)
        acc = self.pair_account(i, r)
        p['account'] = acc[1] if acc else None

    def run(self):
        self.expand()
        self.usage_setup()
        if not self.mine():
            return False
        self.classify()
        return True
