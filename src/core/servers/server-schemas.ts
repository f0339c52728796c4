import { z } from 'zod';
import { absolutePathSchema, hostnameSchema, internalAddressSchema, slugSchema, unixUserSchema } from '../validation.js';

const portSchema = z.coerce
  .number({ message: 'port must be a number' })
  .int('port must be a whole number')
  .min(1, 'port must be between 1 and 65535')
  .max(65535, 'port must be between 1 and 65535');

const privateKeySchema = z
  .string()
  .trim()
  .refine((k) => /^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]+-----END [A-Z0-9 ]*PRIVATE KEY-----$/.test(k), 'private key must be a PEM/OpenSSH private key (-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----)');

const labelsSchema = z.array(slugSchema('label')).max(20, 'at most 20 labels').default([]);

const serverFields = {
  name: slugSchema('server name'),
  hostname: hostnameSchema,
  port: portSchema.default(22),
  username: unixUserSchema,
  authKind: z.enum(['key', 'password', 'agent'], { message: 'auth must be key, password or agent' }).default('key'),
  keyPath: absolutePathSchema('key path').optional(),
  privateKey: privateKeySchema.optional(),
  passphrase: z.string().max(1024).optional(),
  password: z.string().min(1, 'password must not be empty').max(1024).optional(),
  labels: labelsSchema,
  internalAddress: internalAddressSchema.optional(),
};

function checkAuth(value: { authKind?: string; password?: string; privateKey?: string; keyPath?: string }, ctx: z.RefinementCtx) {
  if (value.authKind === 'password' && !value.password) {
    ctx.addIssue({ code: 'custom', path: ['password'], message: 'password is required for password authentication' });
  }
  if (value.authKind !== 'password' && value.password) {
    ctx.addIssue({ code: 'custom', path: ['password'], message: 'a password is only used with password authentication (auth=password)' });
  }
  if (value.privateKey && value.keyPath) {
    ctx.addIssue({ code: 'custom', path: ['keyPath'], message: 'give either a key file path or a pasted private key, not both' });
  }
}

export const serverAddSchema = z.object(serverFields).superRefine(checkAuth);
export type ServerAddInput = z.input<typeof serverAddSchema>;

/** Edits: every field optional; `null` clears an optional field (key path, own key, labels). */
export const serverEditSchema = z
  .object({
    hostname: hostnameSchema.optional(),
    port: portSchema.optional(),
    username: unixUserSchema.optional(),
    authKind: serverFields.authKind.unwrap().optional(),
    keyPath: absolutePathSchema('key path').nullable().optional(),
    privateKey: privateKeySchema.nullable().optional(),
    passphrase: z.string().max(1024).nullable().optional(),
    password: z.string().min(1, 'password must not be empty').max(1024).nullable().optional(),
    labels: z.array(slugSchema('label')).max(20).optional(),
    internalAddress: internalAddressSchema.nullable().optional(),
  })
  .strict();
export type ServerEditInput = z.input<typeof serverEditSchema>;
