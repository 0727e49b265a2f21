# Random small universes for the reader of sections 15 and 16 (scripts/ref). Standard library only.
import random, os, datetime

SYSTEMS = ['AD', 'AWS', 'SAP', 'SFDC', 'GCP']
NHI_KINDS = ['service_account', 'api_key', 'bot', 'workload', 'Human']
ASOF = datetime.datetime(2026, 6, 30, tzinfo=datetime.timezone.utc)


def date_text(R, days_before):
    t = ASOF - datetime.timedelta(days=days_before)
    form = R.random()
    if form < 0.5:
        return t.strftime('%Y-%m-%d')
    t = t + datetime.timedelta(hours=R.randint(0, 23), minutes=R.randint(0, 59))
    if form < 0.75:
        return t.strftime('%Y-%m-%dT%H:%M:%SZ')
    if form < 0.9:
        off = datetime.timezone(datetime.timedelta(hours=2))
        return t.astimezone(off).strftime('%Y-%m-%dT%H:%M:%S+02:00')
    return t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'


def gen(seed):
    R = random.Random(seed)
    U = {}
    systems = R.sample(SYSTEMS, R.randint(2, 4))
    U['gap'] = R.random() < 0.25
    n = R.randint(30, 40) if U['gap'] else R.randint(5, 40)
    order = list(range(n))
    R.shuffle(order)  # file order differs from id order
    vals = {'dept': ['Eng', 'Sales', 'Ops'], 'title': ['Dev', 'Mgr'], 'loc': ['Paris', 'Oslo']}
    U['peers'] = R.random() < 0.3  # large peer groups: missing accounts become visible
    if U['peers']:
        vals = {'dept': ['Eng', 'Sales'], 'title': ['Dev'], 'loc': ['Paris', 'Oslo']}
    ids = []
    for k in order:
        kind = R.choice(['human'] * (15 if U['peers'] or U['gap'] else 5) + NHI_KINDS + [''])
        row = {'identity_id': 'u%02d' % k, 'kind': kind}
        for a, vs in vals.items():
            row[a] = R.choice(vs) if R.random() < 0.9 else ''
        ids.append(row)
    if R.random() < 0.3:  # a dimension unique per human, shared by non-human identities
        vals['host'] = ['hx', 'hy']
        for r in ids:
            r['host'] = 'h-' + r['identity_id'] if r['kind'] in ('human', '') else R.choice(['hx', 'hy'])
    humans = [r['identity_id'] for r in ids if r['kind'] in ('human', '')]
    nhis = [r['identity_id'] for r in ids if r['kind'] not in ('human', '')]
    U['owner'] = R.random() < 0.7
    if U['owner']:
        for r in ids:
            x = R.random()
            if r['kind'] in ('human', ''):
                r['owner_id'] = R.choice(humans) if x < 0.2 else ''
            elif x < 0.55 and humans:
                r['owner_id'] = R.choice(humans)
            elif x < 0.7:
                r['owner_id'] = ''
            elif x < 0.82:
                r['owner_id'] = 'gone%d' % R.randint(1, 3)
            elif x < 0.92 and nhis:
                r['owner_id'] = R.choice(nhis)
            else:
                r['owner_id'] = r['identity_id']
    # multi-valued attributes
    attrs = []
    if R.random() < 0.7:
        for r in ids:
            for p in R.sample(['p1', 'p2', 'p3'], R.choice([0, 0, 1, 1, 2])):
                attrs.append((r['identity_id'], 'proj', p))
            if R.random() < 0.1:
                attrs.append((r['identity_id'], 'dept', R.choice(vals['dept'])))
        if attrs and R.random() < 0.3:
            attrs.append(R.choice(attrs))  # a duplicate value
        if R.random() < 0.3:
            attrs.append(('zz-unknown', 'proj', 'p1'))
    U['attrs'] = attrs
    mv = {}
    for i, a, v in attrs:
        mv.setdefault(i, {}).setdefault(a, set()).add(v)

    def matches(row, crit):
        for a, v in crit:
            have = set()
            if a == 'kind':
                have = {row['kind'] or 'human'}
            else:
                if row.get(a):
                    have.add(row[a])
                have |= mv.get(row['identity_id'], {}).get(a, set())
            if v not in have:
                return False
        return True
    # roles
    nroles = R.randint(3, 15)
    roles = []
    odd = R.random() < 0.3  # role ids whose byte order differs from other orders
    pool = ['b', 'B', 'a10', 'a9', 'Z', 'é', 'a-b', 'a_b', 'ab', 'AB', 'a', 'A1', '_x', 'zz', 'Ω', '9', '10']
    R.shuffle(pool)
    for k in range(nroles):
        app = R.choice(systems) if R.random() < 0.7 else ''
        roles.append({'role_id': pool[k] if odd else 'R%02d' % k, 'category': R.choice(['', 'fin', 'it']),
                      'validations': R.choice([0, 0, 1, 2, 3]), 'application': app})
    # accounts
    accounts = []  # (system, account_id, identity_id)
    acct_of = {}
    U['noaccounts'] = R.random() < 0.1  # no accounts file: rows name identities only
    for r in ([] if U['noaccounts'] else ids):
        for s in systems:
            if R.random() < (0.9 if U['peers'] and s == systems[0] else 0.65):
                a = '%s-%s' % (s.lower(), r['identity_id'])
                accounts.append((s, a, r['identity_id']))
                acct_of.setdefault((r['identity_id'], s), []).append(a)
                if R.random() < 0.1:
                    a2 = 'x' + a
                    accounts.append((s, a2, r['identity_id']))
                    acct_of[(r['identity_id'], s)].append(a2)
    for s in ([] if U['noaccounts'] else systems):
        for k in range(R.randint(0, 2)):
            accounts.append((s, 'tmp%d' % k, ''))
        if R.random() < 0.4:
            accounts.append((s, 'ghost-%s' % s.lower(), 'zed'))
    if R.random() < 0.3 and not U['noaccounts']:  # an account id shared by two systems
        accounts.append((systems[1], 'shared', R.choice(ids)['identity_id']))
        accounts.append((systems[0], 'shared', R.choice(ids)['identity_id']))
    R.shuffle(accounts)
    # usage mode per system
    U['last_used'] = R.random() < 0.7
    usage_mode = {s: R.choice(['none', 'some', 'most']) for s in systems + ['']}
    if R.random() < 0.1:
        usage_mode = {}  # a last_used column without any date

    def last_used(sys):
        if not U['last_used']:
            return None
        m = usage_mode.get(sys, 'none')
        if m == 'none' or (m == 'some' and R.random() < 0.5) or R.random() < 0.15:
            return ''
        d = R.choice([0, 1, 5, 30, 60, 89, 90, 91, 92, 120, 200, 400, -2])
        return date_text(R, d)
    # assignments
    rows = []  # (identity_id, role_id, system, account_id, last_used)
    dims = ['kind', 'dept', 'title', 'loc'] + (['proj'] if attrs else [])
    for role in roles:
        if R.random() < 0.15:
            continue  # a role held only through grants (or by nobody)
        crit = []
        for a in R.sample(dims, R.randint(1, 2)):
            pool = {'kind': ['human'] + NHI_KINDS[:2], 'proj': ['p1', 'p2', 'p3']}.get(a, vals.get(a))
            crit.append((a, R.choice(pool)))
        pin, pout = R.choice([(0.9, 0.05), (0.7, 0.1), (1.0, 0.0), (0.5, 0.3)])
        for r in ids:
            if R.random() < (pin if matches(r, crit) else pout):
                rows.extend(route(R, r['identity_id'], role, systems, acct_of, last_used))
    # a system whose grants export is partial: one broad role most humans hold
    if U['gap']:
        wd = {'role_id': 'WD', 'category': '', 'validations': 0, 'application': systems[-1]}
        roles.append(wd)
        keep = R.choice([0.6, 0.65, 0.7, 0.8, 0.95])
        for r in ids:
            if (r['kind'] or 'human') == 'human' and R.random() < keep:
                rows.extend(route(R, r['identity_id'], wd, systems, acct_of, last_used))
    # orphans and odd rows
    for k in range(R.randint(0, 4)):
        if U['noaccounts']:
            rows.append(('zz%d' % k, R.choice(roles)['role_id'], '', '', last_used('')))
            continue
        role = R.choice(roles)['role_id']
        s = R.choice(systems)
        x = R.random()
        if x < 0.3:
            rows.append(('zz%d' % k, role, '', '', last_used('')))
        elif x < 0.55:
            rows.append(('', role, s, 'tmp0', last_used(s)))
        elif x < 0.75:
            rows.append(('', role, s, 'ghost-%s' % s.lower(), last_used(s)))
        elif x < 0.9:
            rows.append(('', role, s, 'nobody%d' % k, last_used(s)))
        else:  # an identity named with an account absent from accounts
            rows.append((R.choice(ids)['identity_id'], role, s, 'nobody%d' % k, last_used(s)))
    if rows and R.random() < 0.5:
        rows.append(R.choice(rows))
    R.shuffle(rows)
    # grants
    grants = []
    extra = [('g%d' if odd else 'G%d') % k for k in range(R.randint(0, 3))]
    names = [r['role_id'] for r in roles] + extra
    if R.random() < 0.85:
        for k in range(R.randint(1, 14)):
            a, b = R.choice(names), R.choice(names)
            if a != b or R.random() < 0.2:
                grants.append((a, b))
        if R.random() < 0.4 and len(names) > 3:  # a cycle
            c = R.sample(names, R.randint(2, 4))
            for k in range(len(c)):
                grants.append((c[k], c[(k + 1) % len(c)]))
        for g in extra:
            grants.append((g, R.choice(names)))
            if R.random() < 0.5:
                grants.append((R.choice(names), g))
        if grants and R.random() < 0.3:
            grants.append(grants[0])
    U.update(ids=ids, vals=vals, roles=roles, accounts=accounts, rows=rows, grants=grants,
             systems=systems)
    U['config'] = gen_config(R, U)
    U['flags'] = []
    if U['last_used'] and R.random() < 0.4:
        U['flags'] += ['--unused-days', str(R.choice([0, 30, 60, 120]))]
    if U['last_used'] and R.random() < 0.3:
        U['flags'] += ['--as-of', R.choice(['2026-07-15', '2026-06-01', '2026-06-30T12:00:00Z'])]
    return U


def route(R, iid, role, systems, acct_of, last_used):
    """The rows granting role to iid: on the identity, on one of its accounts, or both."""
    sysl = [s for s in systems if (iid, s) in acct_of]
    app = role['application']
    out = []
    x = R.random()
    if not sysl or x < 0.2:
        out.append((iid, role['role_id'], '', '', last_used(app)))
        return out
    s = app if app in sysl and R.random() < 0.8 else R.choice(sysl)
    a = R.choice(acct_of[(iid, s)])
    out.append((iid if x < 0.35 else '', role['role_id'], s, a, last_used(s)))
    if R.random() < 0.15:  # a second route for the same pair
        s2 = R.choice(sysl)
        out.append(('', role['role_id'], s2, R.choice(acct_of[(iid, s2)]), last_used(s2)))
    if R.random() < 0.05:
        out.append((iid, role['role_id'], '', '', last_used(app)))
    return out


def gen_config(R, U):
    mrs = []
    for k in range(R.choice([1, 1, 2])):
        mr = {'Priority': R.randint(0, 2),
              'EntityType': R.choice(['*', '*', '*', 'nhi', 'human', 'human,service_account']),
              'PrecisionMinPercentage': R.choice([50, 80, 90, 95, 100]),
              'FalsePositiveMaxPercentage': R.choice([0, 10, 25, 40]),
              'MinIdentitiesCount': R.randint(1, 4), 'MaxDimensions': R.choice([1, 2, 2])}
        if U['last_used'] and R.random() < 0.35:
            mr['UsedOnly'] = 'true'
        if R.random() < 0.15:
            mr['Category'] = R.choice(['fin', 'it'])
        if R.random() < 0.1:
            mr['ExcludeRole'] = 'true'
            mr.pop('UsedOnly', None)
        mrs.append(mr)
    if U.get('gap') and R.random() < 0.7:
        mrs[0].update({'FalsePositiveMaxPercentage': 40, 'PrecisionMinPercentage': 50})
    return mrs


def write(d, U):
    os.makedirs(d, exist_ok=True)
    cols = ['identity_id', 'kind'] + list(U['vals']) + (['owner_id'] if U['owner'] else [])
    with open(d + '/identities.csv', 'w') as f:
        f.write(','.join(cols) + '\n')
        for r in U['ids']:
            f.write(','.join(r[c] for c in cols) + '\n')
    with open(d + '/roles.csv', 'w') as f:
        f.write('role_id,category,validations,application\n')
        for r in U['roles']:
            f.write('%s,%s,%d,%s\n' % (r['role_id'], r['category'], r['validations'], r['application']))
    if not U['noaccounts']:
        with open(d + '/accounts.csv', 'w') as f:
            f.write('system,account_id,identity_id\n')
            f.writelines('%s,%s,%s\n' % a for a in U['accounts'])
    with open(d + '/assignments.csv', 'w') as f:
        cols = ['identity_id', 'role_id'] + ([] if U['noaccounts'] else ['system', 'account_id'])
        n = len(cols)
        f.write(','.join(cols) + (',last_used' if U['last_used'] else '') + '\n')
        for r in U['rows']:
            f.write(','.join(r[:n]) + ((',' + r[4]) if U['last_used'] else '') + '\n')
    if U['grants']:
        with open(d + '/role_grants.csv', 'w') as f:
            f.write('role_id,grants_role_id\n')
            f.writelines('%s,%s\n' % g for g in U['grants'])
    if U['attrs']:
        with open(d + '/attributes.csv', 'w') as f:
            f.write('identity_id,attribute,value\n')
            f.writelines('%s,%s,%s\n' % a for a in U['attrs'])
    with open(d + '/config.xml', 'w') as f:
        f.write('<ConfigurationFile>\n')
        for mr in U['config']:
            f.write('<MiningRule ' + ' '.join('%s="%s"' % kv for kv in mr.items()) + '/>\n')
        f.write('</ConfigurationFile>\n')
