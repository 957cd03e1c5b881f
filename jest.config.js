/** Tests import the package the way users do: `beamline` maps to the source. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  moduleNameMapper: { "^beamline$": "<rootDir>/index.ts" },
  testTimeout: 60000,
};
