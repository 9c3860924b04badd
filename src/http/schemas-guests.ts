import { Type } from 'typebox';

/** Guest accounts' response schema (POST /auth/guest); the upgrade takes Credentials and answers UserSchema. */

export const GuestTokenResponse = Type.Object({
  access_token: Type.String({ description: 'the guest bearer token: shown once, stored only as a hash' }),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer({
    description: 'seconds; past it the guest cannot sign in again (it has no password)',
  }),
  user: Type.Object({ id: Type.String(), guest: Type.Literal(true) }),
});
