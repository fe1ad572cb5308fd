// The API's rule for a client name (functions/lib/transactions/clientName.ts), which is zod: importing it
// would bring zod into the page. test/unit/adminPage.test.ts checks that the two agree.

/** A client's name: 1 to 64 letters, digits, `_ . -`, starting with a letter or digit. */
export const clientNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** What the client filter says when what was typed cannot be a client's name. */
export const clientNameRule = 'A client name is 1 to 64 letters, digits, _ . or -, starting with a letter or digit.';
