// An OAuth connection's refresh token, sealed like an entry's value and bound to its secret's
// entry, as a refresh token (it can never be opened as that entry's value, nor the other way).
import type { KeyOwner } from "../../auth/viewer.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import { openValue, sealValue } from "../entry/entry-value.ts";

/** The id a refresh token's ciphertext is bound to: its secret's entry, in a namespace of its own. */
export const refreshBinding = (entryId: string) => `oauth-refresh:${entryId}`;

export function sealRefreshToken(keyring: UserKeyring, owner: KeyOwner, entryId: string, token: string) {
  return sealValue(keyring, owner, refreshBinding(entryId), "OAUTH_REFRESH", token).ciphertext;
}

export function openRefreshToken(keyring: UserKeyring, owner: KeyOwner, entryId: string, ciphertext: Uint8Array) {
  return openValue(keyring, owner, { id: refreshBinding(entryId), kind: "OAUTH_REFRESH", ciphertext });
}
