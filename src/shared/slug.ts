/**
 * A stable ASCII slug of a Vietnamese name (`Thừa Thiên Huế` → `thua-thien-hue`): lower case,
 * without diacritics (đ → d, as people type it without them), every other run of characters one hyphen.
 */
export function slug(text: string): string {
  return foldVietnamese(text)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Lower case, without Vietnamese diacritics (đ → d): how people type names on a keyboard without them. */
function foldVietnamese(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase();
}
