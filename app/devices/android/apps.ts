/**
 * `open`: which installed package an app name means. The model writes what it sees or was told ("Settings",
 * "chrome", "Google Maps") or a package ("com.android.settings"); the answer must be a package `pm list packages`
 * lists, or an error back to the model naming what was asked and what is installed - never a guess between two.
 *
 * Order: a package name as given; the table of common apps below (each name -> the packages phones ship it as, in
 * order of preference), against what is installed; then an installed package one of whose dotted parts is the name
 * (letters and digits only: "shop" -> com.example.shop), when exactly one is. Linear in the package list.
 */

/** Common app names -> their packages on stock Android, Pixel, Samsung and AOSP images. */
const COMMON_APPS: Record<string, readonly string[]> = {
  settings: ['com.android.settings'],
  chrome: ['com.android.chrome', 'com.chrome.beta', 'org.chromium.chrome'],
  browser: ['com.android.chrome', 'com.sec.android.app.sbrowser', 'org.mozilla.firefox', 'com.android.browser'],
  firefox: ['org.mozilla.firefox'],
  camera: ['com.google.android.GoogleCamera', 'com.android.camera2', 'com.sec.android.app.camera', 'com.android.camera'],
  contacts: ['com.google.android.contacts', 'com.android.contacts', 'com.samsung.android.app.contacts'],
  phone: ['com.google.android.dialer', 'com.android.dialer', 'com.samsung.android.dialer'],
  dialer: ['com.google.android.dialer', 'com.android.dialer', 'com.samsung.android.dialer'],
  messages: ['com.google.android.apps.messaging', 'com.android.messaging', 'com.samsung.android.messaging', 'com.android.mms'],
  sms: ['com.google.android.apps.messaging', 'com.android.messaging', 'com.samsung.android.messaging', 'com.android.mms'],
  gmail: ['com.google.android.gm'],
  email: ['com.google.android.gm', 'com.android.email', 'com.samsung.android.email.provider'],
  maps: ['com.google.android.apps.maps'],
  googlemaps: ['com.google.android.apps.maps'],
  youtube: ['com.google.android.youtube'],
  playstore: ['com.android.vending'],
  googleplay: ['com.android.vending'],
  photos: ['com.google.android.apps.photos'],
  gallery: ['com.google.android.apps.photos', 'com.sec.android.gallery3d', 'com.android.gallery3d'],
  calendar: ['com.google.android.calendar', 'com.android.calendar', 'com.samsung.android.calendar'],
  clock: ['com.google.android.deskclock', 'com.android.deskclock', 'com.sec.android.app.clockpackage'],
  alarm: ['com.google.android.deskclock', 'com.android.deskclock', 'com.sec.android.app.clockpackage'],
  calculator: ['com.google.android.calculator', 'com.android.calculator2', 'com.sec.android.app.popupcalculator'],
  files: ['com.google.android.apps.nbu.files', 'com.android.documentsui', 'com.sec.android.app.myfiles'],
  filemanager: ['com.google.android.apps.nbu.files', 'com.android.documentsui', 'com.sec.android.app.myfiles'],
  drive: ['com.google.android.apps.docs'],
  keep: ['com.google.android.keep'],
  notes: ['com.google.android.keep', 'com.samsung.android.app.notes'],
  music: ['com.google.android.apps.youtube.music', 'com.android.music'],
  youtubemusic: ['com.google.android.apps.youtube.music'],
  whatsapp: ['com.whatsapp'],
  telegram: ['org.telegram.messenger'],
  wechat: ['com.tencent.mm'],
  instagram: ['com.instagram.android'],
  facebook: ['com.facebook.katana'],
  x: ['com.twitter.android'],
  twitter: ['com.twitter.android'],
  spotify: ['com.spotify.music'],
  netflix: ['com.netflix.mediaclient'],
  wallet: ['com.google.android.apps.walletnfcrel', 'com.samsung.android.spay'],
  googlewallet: ['com.google.android.apps.walletnfcrel'],
  paypal: ['com.paypal.android.p2pmobile'],
};

/** Lower case, letters and digits only: "Google Maps" -> "googlemaps", "Play-Store" -> "playstore". */
export function compactAppName(name: string): string {
  return name.normalize('NFKD').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

const PACKAGE_NAME = /^[A-Za-z][\w]*(\.[A-Za-z][\w]*)+$/;

export class AppNotFoundError extends Error {
  override name = 'AppNotFoundError';
}

/** `pm list packages` output -> the package names, in its order. */
export function parsePackageList(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('package:'))
    .map((line) => line.slice('package:'.length));
}

/** The installed package `name` means, or an AppNotFoundError that says what is installed. */
export function resolveApp(name: string, installed: readonly string[]): string {
  const wanted = name.trim();
  const have = new Set(installed);
  if (PACKAGE_NAME.test(wanted)) {
    if (have.has(wanted)) return wanted;
    throw new AppNotFoundError(`the package ${wanted} is not installed on the phone${suggestions(installed)}`);
  }
  const compact = compactAppName(wanted);
  if (compact === '') throw new AppNotFoundError(`${JSON.stringify(name)} is not an app name`);
  for (const candidate of COMMON_APPS[compact] ?? []) if (have.has(candidate)) return candidate;
  const byPart = installed.filter((pkg) => pkg.split('.').some((part, i) => i > 0 && compactAppName(part) === compact));
  if (byPart.length === 1) return byPart[0]!;
  if (byPart.length > 1) {
    throw new AppNotFoundError(`${JSON.stringify(name)} could be any of ${byPart.slice(0, 8).join(', ')}: open it by its package name`);
  }
  throw new AppNotFoundError(`no app named ${JSON.stringify(name)} is installed on the phone${suggestions(installed)}`);
}

/** A short list of the apps a person installed (third-party packages first would need `pm list -3`: keep it short). */
function suggestions(installed: readonly string[]): string {
  const shown = installed.filter((p) => !/^(android|com\.android\.(systemui|shell|providers\.\w+|inputmethod\.\w+))$/.test(p)).slice(0, 12);
  return shown.length ? `; installed packages include ${shown.join(', ')}${installed.length > shown.length ? ', ...' : ''}` : '';
}
