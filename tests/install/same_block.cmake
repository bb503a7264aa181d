# SPDX-License-Identifier: MIT
# cmake -DA=file -DB=file -P same_block.cmake: the text between "#ifndef IVP_CTX_TYPES_DEFINED"
# and "#endif /* IVP_CTX_TYPES_DEFINED */" is the same in both files.
foreach(f A B)
  file(READ ${${f}} text)
  string(FIND "${text}" "#ifndef IVP_CTX_TYPES_DEFINED" b)
  string(FIND "${text}" "#endif /* IVP_CTX_TYPES_DEFINED */" e)
  if(b LESS 0 OR e LESS b)
    message(FATAL_ERROR "${${f}}: no IVP_CTX_TYPES_DEFINED block")
  endif()
  math(EXPR len "${e} - ${b}")
  string(SUBSTRING "${text}" ${b} ${len} block_${f})
endforeach()
if(NOT block_A STREQUAL block_B)
  message(FATAL_ERROR "the ivp_ctx blocks of ${A} and ${B} differ:\n${block_A}\n---\n${block_B}")
endif()
message(STATUS "ivp_ctx blocks agree")
