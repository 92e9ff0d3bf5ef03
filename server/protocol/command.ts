// What one wire command is: its request schema, its result schema, its text
// syntax (how a person types it) and how its result reads as text. Each module
// in commands/ defines its commands with defineCommand(); the compiler then
// refuses a command that lacks any of these parts.
import type { z } from 'zod';
import type { TimeFormatter } from './text';

/** How a command is typed on one line (the TCP protocol and the desktop command bar). */
export interface TextSyntax {
  /** The leading words, lower case (matched case-insensitively): `['message']`, `['create', 'group']`. */
  words: readonly [string, ...string[]];
  /** Shown by `help` and in usage errors, e.g. `message <user> <text>`. */
  usage: string;
  /**
   * Reads what follows the leading words (inner spacing kept) into the command's
   * fields, without `type`. Returns null when the line does not fit the syntax
   * (answered with `Usage: ...`); the fields are then validated by the schema.
   */
  parse: (rest: string) => Record<string, unknown> | null;
}

export interface WireCommand<Schema extends z.ZodObject = z.ZodObject, Result extends z.ZodType = z.ZodType> {
  /** The request, `type` included; strict (unknown fields are refused). */
  schema: Schema;
  /** The successful reply's `result`. */
  result: Result;
  /** Null for commands that are not typed as a line (sign-in happens at the TCP prompts). */
  text: TextSyntax | null;
  /**
   * The result as text lines (TCP replies and the desktop command bar). `linkBase`
   * (e.g. `http://chat.example:4001`) prefixes the paths of attachment links.
   */
  render: (result: z.infer<Result>, time: TimeFormatter, linkBase?: string) => string[];
}

/** Checks a command definition and keeps its exact schema types. */
export function defineCommand<Schema extends z.ZodObject, Result extends z.ZodType>(command: WireCommand<Schema, Result>): WireCommand<Schema, Result> {
  return command;
}
