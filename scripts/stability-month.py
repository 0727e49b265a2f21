#!/usr/bin/env python3
"""A month of nightly rolemine runs, with and without mine --previous (docs/semantics.md#7).

Starts from a `rolemine gen --format csv` data set (flat, or --universe: accounts, role
grants and the attributes file are carried along) and changes it a little each night:
three joiners (a team peer's attributes and the access most of that team holds), three
leavers (their accounts' access stays behind as orphan access), three movers (department,
team, cost centre, manager and title of someone elsewhere; the new team's access granted,
the old kept by every other mover), four noise grants added and two of them revoked. On
scheduled nights one business change:
  night 5   department Marketing renamed "Growth Marketing" (access unchanged)
  night 8   a production crm service account repurposed to billing (attributes only)
  night 10  its access follows: its roles revoked, its new peers' granted
  night 12  role SAL_QUOTE_TOOL retired (roles.csv, assignments, role grants)
  nights 15-17  role NEW_ROLLOUT_TOOL granted to team eng-mobile-4 in three waves (by site)
Every night it runs mine --previous (chain P), mine without it (chain F) and drift of the
previous night's P model against the new snapshot with --previous-data, and prints a row
a chain: rules, added / removed / kept against the night before, Jaccard, flaps (rules
added that an earlier night of the chain had), fragmentation (roles that lost rules and
gained more than they lost), unexplained assignments, the rollout role's rules, and
drift's revoke candidates (of tonight's movers who kept their access / of others). The
P chain's counts must equal churn.json's (the script stops otherwise). OUT/nights.json
keeps the facts; the last lines total each chain.

usage: scripts/stability-month.py ROLEMINE GEN_DIR OUT [NIGHTS [GRACE]]
  e.g. rolemine gen --tier S --format csv --out /tmp/s0
       scripts/stability-month.py bin/rolemine /tmp/s0 /tmp/month
A tier S month takes a few minutes (three rolemine runs a night). The values it changes
(department Marketing, a crm service account, SAL_QUOTE_TOOL, team eng-mobile-4) are the
generator's; the figures in RATIONALE.md are of gen's default seed.
"""
import collections
import csv
import json
import os
import random
import subprocess
import sys

BIN, GEN, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
NIGHTS = int(sys.argv[4]) if len(sys.argv) > 4 else 30
GRACE = sys.argv[5] if len(sys.argv) > 5 else None
rng = random.Random(26)


def read(path):
    with open(path, newline='') as f:
        r = csv.DictReader(f)
        return r.fieldnames, list(r)


def write(path, fields, rows):
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, fields, lineterminator='\n')
        w.writeheader()
        w.writerows(rows)


idf, idents = read(os.path.join(GEN, 'identities.csv'))
rof, roles = read(os.path.join(GEN, 'roles.csv'))
asf, arows = read(os.path.join(GEN, 'assignments.csv'))
UNIVERSE = os.path.exists(os.path.join(GEN, 'accounts.csv'))
owner = {}  # (system, account_id) -> identity
if UNIVERSE:
    _, accts = read(os.path.join(GEN, 'accounts.csv'))
    owner = {(a['system'], a['account_id']): a['identity_id'] for a in accts}
byid = {r['identity_id']: r for r in idents}
rows = collections.defaultdict(list)  # identity -> its assignment rows (direct or by account)
other = []  # rows of no known identity (uncorrelated accounts, leavers' accounts)
for a in arows:
    i = a['identity_id'] or owner.get((a.get('system', ''), a.get('account_id', '')), '')
    (rows[i] if i in byid else other).append(a)
held = collections.defaultdict(set)
for i, rs in rows.items():
    held[i] = {a['role_id'] for a in rs}


def grant(i, role):
    if role not in held[i]:
        held[i].add(role)
        row = {f: '' for f in asf}
        row.update(identity_id=i, role_id=role)
        rows[i].append(row)


def revoke(i, role):
    held[i].discard(role)
    rows[i] = [a for a in rows[i] if a['role_id'] != role]
noise = []  # (identity, role) noise grants made by the simulation
events = collections.defaultdict(list)
movers = {}  # night -> [(id, kept_access, old roles not in new birthright)]


def humans():
    return [r for r in idents if r['kind'] == 'human']


_teams = {}


def team_members(team):
    """The team's humans (an index rebuilt after each change: see reindex)."""
    if not _teams:
        for r in idents:
            if r['kind'] == 'human':
                _teams.setdefault(r['team'], []).append(r['identity_id'])
    return _teams.get(team, [])


def reindex():
    _teams.clear()


def birthright(team, exclude=None, location=None):
    """Roles held by at least 80% of the team's humans (at that location when some are
    there): what provisioning grants."""
    ms = [m for m in team_members(team) if m != exclude]
    here = [m for m in ms if byid[m]['location'] == location]
    ms = here or ms
    c = collections.Counter(x for m in ms for x in held[m])
    return {x for x, k in c.items() if k >= 0.8 * len(ms)} if ms else set()


def joiner(n, k):
    t = rng.choice([r for r in humans() if len(team_members(r['team'])) >= 5])
    reindex()
    new = dict(t)
    new['identity_id'] = 'j%02d%d' % (n, k)
    new['email'] = 'joiner.%02d.%d@corp.example.com' % (n, k)
    idents.append(new)
    byid[new['identity_id']] = new
    if 'owner_id' in new:
        new['owner_id'] = ''
    for x in sorted(birthright(t['team'], location=t['location'])):
        grant(new['identity_id'], x)


def leaver():
    r = rng.choice(humans())
    idents.remove(r)
    reindex()
    del byid[r['identity_id']]
    held.pop(r['identity_id'], None)
    # access granted to the leaver's accounts stays behind (orphan access)
    other.extend(a for a in rows.pop(r['identity_id'], []) if a.get('account_id'))


def mover(n, keep):
    r = rng.choice(humans())
    t = rng.choice([x for x in humans() if x['department'] not in ('', r['department'])])
    old = set(held[r['identity_id']])
    for col in ('department', 'team', 'cost_center', 'manager', 'title'):
        r[col] = t[col]
    reindex()
    new = birthright(t['team'], exclude=r['identity_id'], location=r['location'])
    stale = old - new
    for x in sorted(new):
        grant(r['identity_id'], x)
    if not keep:
        for x in sorted(stale):
            revoke(r['identity_id'], x)
    movers.setdefault(n, []).append((r['identity_id'], keep, sorted(stale)))


def noise_grants(n):
    plain = [x['role_id'] for x in roles if x['category'] != 'exception']
    for _ in range(4):
        i = rng.choice(humans())['identity_id']
        ro = rng.choice(plain)
        if ro not in held[i]:
            grant(i, ro)
            noise.append((i, ro))
    for _ in range(2):
        if noise:
            i, ro = noise.pop(rng.randrange(len(noise)))
            if i in byid:
                revoke(i, ro)


SA = None
ROLLOUT_TEAM, ROLLOUT_ROLE, WAVES = None, 'NEW_ROLLOUT_TOOL', []
RETIRED = 'SAL_QUOTE_TOOL'
RETIRED_DONE = False


def business(n):
    global SA, ROLLOUT_TEAM, WAVES, RETIRED_DONE
    if n == 5:
        for r in idents:
            if r['department'] == 'Marketing':
                r['department'] = 'Growth Marketing'
        events[n].append('rename Marketing')
    if n == 8:
        sas = [r for r in idents if r['kind'] == 'service_account' and r['application'] == 'crm'
               and r['environment'] == 'prod']
        if not sas:
            sys.exit('no production crm service account to repurpose')
        SA = sas[0]['identity_id']
        byid[SA]['application'] = 'billing'
        events[n].append('repurpose %s crm->billing (attrs)' % SA)
    if n == 10:
        peers = [r['identity_id'] for r in idents if r['kind'] == 'service_account' and
                 r['application'] == 'billing' and r['environment'] == byid[SA]['environment'] and r['identity_id'] != SA]
        c = collections.Counter(x for p in peers for x in held[p])
        for x in sorted(held[SA]):
            revoke(SA, x)
        for x in sorted(x for x, k in c.items() if k >= 0.8 * len(peers)):
            grant(SA, x)
        events[n].append('repurpose %s access follows' % SA)
    if n == 12:
        roles[:] = [x for x in roles if x['role_id'] != RETIRED]
        for i in list(held):
            revoke(i, RETIRED)
        other[:] = [a for a in other if a['role_id'] != RETIRED]
        events[n].append('retire ' + RETIRED)
        RETIRED_DONE = True
    if n == 15:
        ROLLOUT_TEAM = 'eng-mobile-4'
        if not team_members(ROLLOUT_TEAM):  # another generator's data: its largest team
            ROLLOUT_TEAM = collections.Counter(r['team'] for r in humans()).most_common(1)[0][0]
        locs = collections.Counter(byid[m]['location'] for m in team_members(ROLLOUT_TEAM))
        order = [l for l, _ in locs.most_common()]
        WAVES = [order[:1], order[1:2], order[2:]]
        roles.append({'role_id': ROLLOUT_ROLE, 'category': 'app', 'validations': '0',
                      'application': '', 'description': 'rolled out to a team in waves'})
    if 15 <= n <= 17:
        w = WAVES[n - 15]
        for m in team_members(ROLLOUT_TEAM):
            if byid[m]['location'] in w:
                grant(m, ROLLOUT_ROLE)
        events[n].append('rollout wave %d %s' % (n - 14, w))


def snapshot(n):
    d = os.path.join(OUT, 'n%02d' % n)
    os.makedirs(d, exist_ok=True)
    write(os.path.join(d, 'identities.csv'), idf, idents)
    write(os.path.join(d, 'roles.csv'), rof, roles)
    rs = [a for i in byid for a in rows[i]] + other
    write(os.path.join(d, 'assignments.csv'), asf, rs)
    for name in ('accounts.csv', 'role_grants.csv', 'attributes.csv'):
        src = os.path.join(GEN, name)
        if not os.path.exists(src):
            continue
        f, rs = read(src)
        if name == 'role_grants.csv':
            rs = [g for g in rs if RETIRED not in (g['role_id'], g['grants_role_id']) or not RETIRED_DONE]
        if name == 'attributes.csv':
            rs = [a for a in rs if a['identity_id'] in byid]
        write(os.path.join(d, name), f, rs)
    return d


def run(*args):
    p = subprocess.run([BIN] + list(args), capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit('%s: exit %d\n%s' % (' '.join(args), p.returncode, p.stderr))


def rules_of(m):
    with open(os.path.join(m, 'rules.json')) as f:
        return json.load(f)['rules']


def summary(m):
    with open(os.path.join(m, 'summary.json')) as f:
        return json.load(f)


def crit(r):
    return ' & '.join('%s=%s' % (t['attribute'], t['value']) for t in r['criteria'])


def main():
    if os.path.exists(OUT) and os.listdir(OUT):
        sys.exit('%s is not empty' % OUT)
    os.makedirs(OUT, exist_ok=True)
    history = {'P': [], 'F': []}
    facts = []
    prevdata = snapshot(0)
    for chain in 'PF':
        run('mine', '--data', prevdata, '--out', os.path.join(OUT, chain + '00'))
    for chain in 'PF':
        history[chain].append({r['rule_id']: r for r in rules_of(os.path.join(OUT, chain + '00'))})
    print('night | events | chain | rules | added | removed | kept | jaccard | flaps | frag | unexplained | rollout tp/holders rules | drift revoke candidates (movers, others)')
    for n in range(1, NIGHTS + 1):
        for k in range(3):
            joiner(n, k)
        for _ in range(3):
            leaver()
        for k in range(3):
            mover(n, keep=(k % 2 == 0))
        noise_grants(n)
        business(n)
        data = snapshot(n)
        pm, fm = os.path.join(OUT, 'P%02d' % (n - 1)), os.path.join(OUT, 'F%02d' % (n - 1))
        extra = ['--grace', GRACE] if GRACE else []
        run('mine', '--data', data, '--previous', pm, '--out', os.path.join(OUT, 'P%02d' % n), *extra)
        run('mine', '--data', data, '--out', os.path.join(OUT, 'F%02d' % n))
        dd = os.path.join(OUT, 'd%02d' % n)
        run('drift', '--model', pm, '--data', data, '--previous-data', prevdata, '--out', dd)
        with open(os.path.join(dd, 'remediation.csv'), newline='') as f:
            acts = list(csv.DictReader(f))
        revoke = {(a['identity_id'], a['role_id']) for a in acts if a['action'] == 'revoke-candidate'}
        kept_movers = {i for i, keep, _ in movers.get(n, []) if keep and i in byid}
        flagged = sum(1 for i, _ in revoke if i in kept_movers)
        stale = [p for p in revoke if p[0] not in kept_movers]
        for chain in 'PF':
            m = os.path.join(OUT, '%s%02d' % (chain, n))
            cur = {r['rule_id']: r for r in rules_of(m)}
            prev = history[chain][-1]
            ever = set().union(*[set(h) for h in history[chain][:-1]]) if len(history[chain]) > 1 else set()
            added, removed = set(cur) - set(prev), set(prev) - set(cur)
            kept = set(cur) & set(prev)
            flaps = sorted(x for x in added if x in ever)
            # fragmentation: a role losing a rule and gaining more rules than it lost
            byrole = collections.defaultdict(lambda: [0, 0])
            for x in added:
                byrole[cur[x]['role_id']][0] += 1
            for x in removed:
                byrole[prev[x]['role_id']][1] += 1
            frag = sorted(ro for ro, (a, r) in byrole.items() if r >= 1 and a > r)
            if chain == 'P':
                with open(os.path.join(m, 'churn.json')) as f:
                    ch = json.load(f)['overall']
                assert (ch['added'], ch['removed'], ch['kept']) == (len(added), len(removed), len(kept)), ch
            s = summary(m)
            unexpl = s['assignments']['unexplained'] if 'assignments' in s else None
            ro = [r for r in cur.values() if r['role_id'] == ROLLOUT_ROLE]
            holders = sum(1 for i in byid if ROLLOUT_ROLE in held[i])
            rtp = '%d/%d %s' % (sum(r['tp'] for r in ro), holders, ';'.join(crit(r) for r in ro)) if holders else '-'
            union = len(set(cur) | set(prev))
            jac = len(kept) / union if union else 1
            facts.append({'night': n, 'chain': chain, 'events': events[n], 'rules': len(cur), 'added': len(added),
                          'removed': len(removed), 'kept': len(kept), 'jaccard': round(jac, 4),
                          'flaps': [(cur[x]['role_id'], crit(cur[x])) for x in flaps],
                          'fragmented': frag, 'unexplained': unexpl, 'rollout': rtp,
                          'renamed_rules_old': sum(1 for r in cur.values() for t in r['criteria'] if t['value'] == 'Marketing'),
                          'renamed_rules_new': sum(1 for r in cur.values() for t in r['criteria'] if t['value'] == 'Growth Marketing'),
                          'retired_rules': sum(1 for r in cur.values() if r['role_id'] == RETIRED),
                          'drift_revoke': len(revoke), 'movers_stale_flagged': '%d movers, %d others' % (flagged, len(stale))})
            history[chain].append(cur)
            f = facts[-1]
            print('%2d | %s | %s | %d | %d | %d | %d | %.4f | %d | %d | %s | %s | %s' % (
                n, ','.join(events[n]) or '-', chain, f['rules'], f['added'], f['removed'], f['kept'], f['jaccard'],
                len(flaps), len(frag), unexpl, rtp, '%d (%s)' % (len(revoke), f['movers_stale_flagged']) if chain == 'P' else ''),
                flush=True)
        prevdata = data
    with open(os.path.join(OUT, 'nights.json'), 'w') as f:
        json.dump(facts, f, indent=1)
    totals(facts)


def totals(facts):
    """Prints each chain's month: churn, flaps, fragmentation and where it ended."""
    for chain in 'PF':
        xs = [x for x in facts if x['chain'] == chain]
        print('%s: added %d, removed %d, mean Jaccard %.4f (min %.4f), flaps %d, fragmentation %d, '
              'rules %d -> %d, unexplained %s -> %s, rollout on the last night %s' % (
                  chain, sum(x['added'] for x in xs), sum(x['removed'] for x in xs),
                  sum(x['jaccard'] for x in xs) / len(xs), min(x['jaccard'] for x in xs),
                  sum(len(x['flaps']) for x in xs), sum(len(x['fragmented']) for x in xs),
                  xs[0]['rules'], xs[-1]['rules'], xs[0]['unexplained'], xs[-1]['unexplained'],
                  xs[-1]['rollout']))


main()
