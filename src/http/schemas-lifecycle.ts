import { Type } from 'typebox';

/** `DELETE /chat/sessions/{id}`: to the trash, or with `permanent=true` deleted at once. */
export const SessionDeleteQuery = Type.Object(
  {
    permanent: Type.Optional(
      Type.Boolean({
        description:
          'delete at once, with its messages (also a trashed session), instead of moving it to the trash',
      }),
    ),
  },
  { additionalProperties: false },
);
