/** The time arguments of `usage`, `bill`, `reconcile`, `margin`: parsed strictly, named when wrong. */
import { hourStart } from '../../domain/billing/windows';
import { ArgumentError } from '../errors';

/** `--hour 2026-12-01T13` (or a full ISO instant on the hour): the start of that UTC hour. */
export function parseHour(argument: string, value: string): Date {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2})(:00(:00(\.000)?)?)?Z?$/.exec(value);
  const at = match ? new Date(`${match[1]}T${match[2]}:00:00.000Z`) : new Date(Number.NaN);
  if (
    Number.isNaN(at.getTime()) ||
    hourStart(at).toISOString().slice(0, 13) !== `${match?.[1]}T${match?.[2]}`
  )
    throw new ArgumentError(argument, `must be a UTC hour like 2026-12-01T13 (got ${value})`);
  return at;
}

/** `--day 2026-12-01`: the start of that UTC day. */
export function parseDay(argument: string, value: string): Date {
  const at = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00.000Z`) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== value)
    throw new ArgumentError(argument, `must be a UTC day like 2026-12-01 (got ${value})`);
  return at;
}

/** `--month 2026-11`: [first instant of the month, first instant of the next). */
export function parseMonth(argument: string, value: string): { from: Date; to: Date } {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(value);
  if (!match) throw new ArgumentError(argument, `must be a month like 2026-11 (got ${value})`);
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  return { from: new Date(Date.UTC(year, month, 1)), to: new Date(Date.UTC(year, month + 1, 1)) };
}
