import { datetimeModule, fromJsDate, type PyDatetime } from './py-datetime.ts';
import { pythonRe } from './python-re.ts';

/** `modules.datetime`, `modules.re`, `modules.pytz`: the parts dbt projects use. */

/** dbt's run_started_at: a UTC-aware datetime (str() is `2023-01-02 03:04:05.123000+00:00`). */
export function pyDate(date: Date): PyDatetime {
  return fromJsDate(date, true);
}

export function modulesContext() {
  return {
    datetime: datetimeModule(),
    pytz: { utc: 'UTC', timezone: (name: string) => name },
    re: pythonRe(),
    itertools: {},
  };
}
