# Writes a C++ file holding each migration's SQL, in file-name order. A migration file is
# named NNNN_description.sql; NNNN is its schema version.
set(content "// Generated from src/storage/migrations/*.sql. Do not edit.\n#include \"storage/migrations.h\"\nnamespace issuerd::storage {\nconst std::vector<Migration>& embedded_migrations() {\n  static const std::vector<Migration> migrations = {\n")
string(REPLACE "|" ";" inputs "${INPUTS}")
foreach(path ${inputs})
  get_filename_component(name ${path} NAME_WE)
  string(REGEX MATCH "^[0-9]+" version ${name})
  math(EXPR version "${version} + 0")
  file(READ ${path} sql)
  string(APPEND content "    {${version}, \"${name}\", R\"issuerd_sql(${sql})issuerd_sql\"},\n")
endforeach()
string(APPEND content "  };\n  return migrations;\n}\n}  // namespace issuerd::storage\n")
file(WRITE ${OUTPUT} "${content}")
