"""The CSV oracle for test/integration/csv-differential.test.ts: Python's csv module (strict=True)
reads each record; dema's rule (csv-scanner.ts) only decides how reading resumes after an error.

stdin: {"files": [path, ...], "fields": n, "maxRecordLines": n, "maxRecordBytes": n}
stdout: [{"good": [[line, lastLine, [value, ...]], ...], "rejects": [[line, lastLine], ...]}, ...]
Data lines are numbered from 2 (line 1 is the header).
"""
import csv
import json
import sys

csv.field_size_limit(1 << 30)


def physical_lines(data):
    parts = data.split(b'\n')
    lines = [part + b'\n' for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def read_record(lines, i, job):
    """('good', n, row) | ('whole', n) | ('first',): a record from line i spanning n lines."""
    fed = [0]

    def feed():
        while fed[0] < job['maxRecordLines'] and i + fed[0] < len(lines):
            fed[0] += 1
            yield lines[i + fed[0] - 1].decode('utf-8', 'surrogateescape')

    try:
        row = next(csv.reader(feed(), strict=True))
    except csv.Error:
        return ('first',)
    n = fed[0]
    size = sum(len(line) for line in lines[i:i + n]) - (1 if lines[i + n - 1].endswith(b'\n') else 0)
    if size > job['maxRecordBytes']:
        return ('first',)
    text = ''.join(row)
    if not row or len(row) != job['fields'] or any('\udc80' <= c <= '\udcff' for c in text):
        return ('whole', n)
    return ('good', n, row)


def read_file(path, job):
    with open(path, 'rb') as handle:
        lines = physical_lines(handle.read())[1:]
    good, rejects, i = [], [], 0
    while i < len(lines):
        found = read_record(lines, i, job)
        n = found[1] if len(found) > 1 else 1
        if found[0] == 'good':
            good.append([i + 2, i + n + 1, found[2]])
        else:
            rejects.append([i + 2, i + n + 1])
        i += n
    return {'good': good, 'rejects': rejects}


job = json.load(sys.stdin)
json.dump([read_file(path, job) for path in job['files']], sys.stdout)
