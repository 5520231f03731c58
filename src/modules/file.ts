/**
 * file: a regular file with this exact content, mode and (optionally) owner and group.
 *
 * check: holds when the file is a regular file whose sha256 (`sha256sum`), mode (`stat -c %a`)
 *   and, when given, owner and group (`stat -c %U %G`) match. A symlink or a non-file at the path is
 *   a probe failure (status 2): fleet manages regular files and will not write through or over
 *   anything else. On status 1 stdout is, by contract (see parseFileCheckOutput):
 *     line 1  `@@fleet-file absent`, or
 *             `@@fleet-file present mode=0644 owner=root group=root content=same|differs`
 *     rest    the current content, verbatim, only when it differs and the resource is not secret.
 *   The engine diffs the rest against `desiredContent` for --diff. For a secret file the check's
 *   text carries the wanted hash, so its masked form hides that too (a low-entropy secret's hash
 *   would invite guessing).
 * apply: first records whether the file existed ("$FLEET_STATE/file.was") and backs it up with
 *   `cp -p` (content, mode, owner, times) into "$FLEET_STATE/file.backup"; creates missing parents
 *   when `makeParents` (each one recorded in "$FLEET_STATE/file.dirs"); then writes atomically:
 *   `mktemp` in the same directory (mode 0600 from birth, under umask 077, so a secret is never
 *   readable by others, not even for an instant), content via `printf %s BASE64 | base64 -d` (any
 *   byte is inert in the script), chmod and chown on the temp file, then `mv -f` over the path.
 *   The backup of a secret stays on its own host in the 0700 state directory.
 * revert: restores the backup the same atomic way (temp file, `cp -p`, `mv -f`), or, when the file
 *   did not exist, removes it and then the parent directories apply created (deepest first, each
 *   only if empty). No record: apply never ran, nothing to do.
 * undo: removes the file; with `makeParents`, also its parent directories while they are empty
 *   (rmdir never removes a directory that holds anything, so another program's files stay).
 */
import { defineModule, type ResourceBody } from './define.js';
import path from 'node:path';
import { z } from 'zod';
import { Secret, Shell, raw, sh } from '../shell/sh.js';
import { absPath, fileMode, userName } from '../types/net.js';
import { sha256hex, shellFunction } from './common.js';
import { PLAIN_WORD, type Proof } from './facts.js';
import type { ChangeView, Resource } from './types.js';

export const fileSchema = z
  .strictObject({
    path: absPath.describe('absolute path of the file'),
    content: z
      .union([z.string(), z.instanceof(Uint8Array)], { error: 'expected the content as a string (or bytes)' })
      .describe('the whole content, exactly (a trailing newline is content too); a string is written as UTF-8, bytes as they are'),
    secret: z.boolean().default(false).describe('content is secret: never shown in plans, diffs, logs or the journal'),
    mode: fileMode.describe("octal mode in quotes, like '0644' or '0600'"),
    owner: userName.optional().describe('owner user; absent: not managed (new files belong to the deploying user)'),
    group: userName.optional().describe('owner group; absent: not managed'),
    makeParents: z.boolean().default(false).describe('create missing parent directories (removed again by revert)'),
    parentMode: fileMode.default('0755').describe('mode for parent directories this resource creates'),
  })
  .refine((a) => a.path !== '/' && !a.path.endsWith('/'), { message: 'expected a file path, not a directory', path: ['path'] });

export type FileArgs = z.output<typeof fileSchema>;

/** The marker on the first line of a failed file check's output. */
export const FILE_CHECK_MARKER = '@@fleet-file';

export type FileCheckOutput =
  | { state: 'absent' }
  | { state: 'present'; mode: string; owner: string; group: string; contentMatches: boolean; content?: string };

/**
 * Reads what a file check printed on status 1. `content` is the current content when it differs
 * from the wanted one (absent for secret files). Returns undefined for output that is not a file
 * check's (the engine then shows it raw).
 */
export function parseFileCheckOutput(stdout: string): FileCheckOutput | undefined {
  const nl = stdout.indexOf('\n');
  const head = nl === -1 ? stdout : stdout.slice(0, nl);
  const rest = nl === -1 ? '' : stdout.slice(nl + 1);
  if (head === `${FILE_CHECK_MARKER} absent`) return { state: 'absent' };
  const m = new RegExp(`^${FILE_CHECK_MARKER} present mode=(\\d+) owner=(\\S+) group=(\\S+) content=(same|differs)( secret)?$`).exec(head);
  if (!m) return undefined;
  const out: FileCheckOutput = { state: 'present', mode: m[1]!, owner: m[2]!, group: m[3]!, contentMatches: m[4] === 'same' };
  if (m[4] === 'differs' && !m[5]) out.content = rest;
  return out;
}

/** 0644 -> 644, 04755 -> 4755: the form `stat -c %a` prints. */
function statMode(mode: string): string {
  return parseInt(mode, 8).toString(8);
}

/** Parents of a path, outermost first, without '/'. */
function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let d = path.posix.dirname(p); d !== '/'; d = path.posix.dirname(d)) out.unshift(d);
  return out;
}

function spec(a: FileArgs) {
  const dir = path.posix.dirname(a.path);
  const bytes = typeof a.content === 'string' ? Buffer.from(a.content, 'utf8') : Buffer.from(a.content);
  const hash = sha256hex(bytes);
  const b64 = bytes.toString('base64');
  const hashArg = a.secret ? new Secret(hash) : hash;
  const b64Arg = a.secret ? new Secret(b64) : b64;
  const owner = a.owner !== undefined || a.group !== undefined ? `${a.owner ?? ''}${a.group !== undefined ? `:${a.group}` : ''}` : undefined;
  const tmp = sh`${`${dir === '/' ? '' : dir}/.fleet-XXXXXX`}`;

  const conditions = [sh`[ "$fleet_sum" = ${hashArg} ]`, sh`[ "$1" = ${statMode(a.mode)} ]`];
  if (a.owner !== undefined) conditions.push(sh`[ "$2" = ${a.owner} ]`);
  if (a.group !== undefined) conditions.push(sh`[ "$3" = ${a.group} ]`);

  const check = Shell.join([
    shellFunction(
      'fleet_file_check',
      Shell.join([
        sh`  if [ -L ${a.path} ] || { [ -e ${a.path} ] && [ ! -f ${a.path} ]; }; then`,
        sh`    echo ${`fleet: ${a.path} exists and is not a regular file`} >&2; return 2`,
        raw('  fi'),
        sh`  if [ ! -e ${a.path} ]; then echo ${`${FILE_CHECK_MARKER} absent`}; return 1; fi`,
        sh`  fleet_sum=$(sha256sum < ${a.path}) || return 2`,
        raw('  fleet_sum=${fleet_sum%% *}'),
        sh`  fleet_meta=$(stat -c '%a %U %G' ${a.path}) || return 2`,
        raw('  set -f; set -- $fleet_meta'),
        sh`  if ${Shell.join(conditions, ' && ')}; then return 0; fi`,
        sh`  if [ "$fleet_sum" = ${hashArg} ]; then fleet_same=same; else fleet_same=differs; fi`,
        raw(`  printf '${FILE_CHECK_MARKER} present mode=%04d owner=%s group=%s content=%s${a.secret ? ' secret' : ''}\\n' "$1" "$2" "$3" "$fleet_same"`),
        ...(a.secret ? [] : [sh`  if [ $fleet_same = differs ]; then cat ${a.path} || return 2; fi`]),
        raw('  return 1'),
      ]),
    ),
    raw('fleet_file_check'),
  ]);

  const mkdirs = a.makeParents
    ? ancestors(a.path).map(
        (d) => sh`  if [ ! -d ${d} ]; then mkdir -m ${a.parentMode} ${d} && printf '%s\\n' ${d} >> "$FLEET_STATE/file.dirs" || return; fi`,
      )
    : [];

  const apply = Shell.join([
    shellFunction(
      'fleet_file_apply',
      Shell.join([
        raw('  umask 077'),
        sh`  if [ -e ${a.path} ]; then`,
        sh`    cp -p ${a.path} "$FLEET_STATE/file.backup" && echo present > "$FLEET_STATE/file.was" || return`,
        raw('  else'),
        raw('    echo absent > "$FLEET_STATE/file.was" || return'),
        raw('  fi'),
        ...mkdirs,
        sh`  fleet_tmp=$(mktemp ${tmp}) || return`,
        sh`  if printf %s ${b64Arg} | base64 -d > "$fleet_tmp" &&`,
        sh`    chmod ${a.mode} "$fleet_tmp" &&`,
        ...(owner ? [sh`    chown ${owner} "$fleet_tmp" &&`] : []),
        sh`    mv -f "$fleet_tmp" ${a.path}; then return 0; fi`,
        raw('  rm -f "$fleet_tmp"; return 1'),
      ]),
    ),
    raw('fleet_file_apply'),
  ]);

  const rmdirs = ancestors(a.path)
    .reverse()
    .map((d) => sh`    if grep -qxF ${d} "$FLEET_STATE/file.dirs" 2>/dev/null; then rmdir ${d} 2>/dev/null || true; fi`);

  const revert = Shell.join([
    shellFunction(
      'fleet_file_revert',
      Shell.join([
        raw('  [ -f "$FLEET_STATE/file.was" ] || return 0'),
        raw('  if [ "$(cat "$FLEET_STATE/file.was")" = present ]; then'),
        sh`    fleet_tmp=$(umask 077; mktemp ${tmp}) || return`,
        sh`    cp -p "$FLEET_STATE/file.backup" "$fleet_tmp" && mv -f "$fleet_tmp" ${a.path} && return 0`,
        raw('    rm -f "$fleet_tmp"; return 1'),
        raw('  else'),
        sh`    rm -f ${a.path} || return`,
        ...rmdirs,
        raw('  fi'),
      ]),
    ),
    raw('fleet_file_revert'),
  ]);

  const removeFile = sh`if [ -e ${a.path} ] || [ -L ${a.path} ]; then rm -f ${a.path}; fi`;
  const undo = a.makeParents
    ? Shell.join([removeFile, sh`fleet_d=${path.posix.dirname(a.path)}; while [ "$fleet_d" != / ] && rmdir "$fleet_d" 2>/dev/null; do fleet_d=$(dirname "$fleet_d"); done; true`])
    : removeFile;
  const proof = fileProof(a.path, hash, statMode(a.mode), a.owner, a.group, a.secret);
  return { check, proof, apply, revert, undo };
}

/** The plan's proof (facts.ts) that the check would say 0: a regular file (not a link) with this sha256 and `stat %a` mode, owner and group when managed. */
function fileProof(path: string, sha256: string, statMode: string, owner?: string, group?: string, secret = false): Proof | undefined {
  if (!PLAIN_WORD.test(path)) return undefined;
  const content = `file ${path} ${sha256} ${statMode}`;
  const lines: (string | Secret)[] = [secret ? new Secret(content) : content];
  if (owner !== undefined) lines.push(`fileowner ${path} ${owner}`);
  if (group !== undefined) lines.push(`filegroup ${path} ${group}`);
  return { needs: [{ kind: 'file', path }], lines };
}

const identity = (a: FileArgs): string => a.path;

/** --diff for a file: a unified diff of the content, or what changed besides it; a secret's content never. */
function change(r: Resource, current: string): ChangeView {
  const now = parseFileCheckOutput(current);
  const isNew = !now || now.state === 'absent';
  if (r.secret) {
    const lines = r.outline?.length ? ['holds (values masked):', ...r.outline.map((l) => `  ${l}`)] : undefined;
    return { sign: '~', head: `: secret content${isNew ? ' (new file)' : ''}; not shown`, lines };
  }
  if (isNew) return { sign: '+', head: ' (new file)', content: { before: '', after: r.desiredContent ?? '' } };
  if (now.contentMatches) return { sign: '~', head: `: content same; now mode ${now.mode} owner ${now.owner}:${now.group}` };
  return { sign: '~', head: '', content: { before: now.content ?? '', after: r.desiredContent ?? '' } };
}

export const file = defineModule({
  name: 'file',
  schema: fileSchema,
  identity,
  change,
  render(a) {
    const s = spec(a);
    const who = a.owner !== undefined || a.group !== undefined ? ` ${a.owner ?? ''}${a.group !== undefined ? `:${a.group}` : ''}` : '';
    const r: ResourceBody = {
      title: `file ${a.path} (${a.mode}${who}${a.secret ? ', secret' : ''})`,
      check: s.check,
      proof: s.proof,
      apply: s.apply,
      revert: s.revert,
      undo: s.undo,
      keeps: [a.path],
    };
    if (a.secret) r.secret = true;
    else r.desiredContent = typeof a.content === 'string' ? a.content : Buffer.from(a.content).toString('utf8');
    return r;
  },
});
