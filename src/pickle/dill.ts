/**
 * What dill (0.2 and 0.3, which cox pickles with) writes beyond the standard
 * pickle reductions, as facts for the reader: the modules its
 * reconstructors live in, and the names `_load_type` resolves.
 *
 * dill writes builtin types as `dill._dill._load_type(name)` (`bytearray`,
 * `complex`, `NoneType`...), numpy arrays as
 * `dill._dill._create_array(numpy.core.multiarray._reconstruct, args,
 * state, npdict)`, and code, functions and classes of `__main__` as
 * `_create_code`, `_create_function`, `_create_type` (left inert: rebuilding
 * them would mean running them).
 *
 * @module
 */

/**
 * The names `_load_type` knows that are not builtins of the same name, as
 * `[module, name]` of the type they stand for (dill's `_reverse_typemap`).
 * Every other name `_load_type` is given is a builtin type or exception
 * (`int`, `bytearray`, `ValueError`).
 */
export const DILL_TYPE_NAMES: Readonly<Record<string, [string, string]>> =
  Object.freeze({
    AsyncGeneratorType: ["builtins", "async_generator"],
    AttrGetterType: ["operator", "attrgetter"],
    BufferedRandomType: ["_io", "BufferedRandom"],
    BufferedReaderType: ["_io", "BufferedReader"],
    BufferedWriterType: ["_io", "BufferedWriter"],
    BuiltinFunctionType: ["builtins", "builtin_function_or_method"],
    BuiltinMethodType: ["builtins", "builtin_function_or_method"],
    CellType: ["builtins", "cell"],
    ClassMethodDescriptorType: ["builtins", "classmethod_descriptor"],
    CodeType: ["builtins", "code"],
    CoroutineType: ["builtins", "coroutine"],
    DictItemsType: ["builtins", "dict_items"],
    DictKeysType: ["builtins", "dict_keys"],
    DictValuesType: ["builtins", "dict_values"],
    EllipsisType: ["builtins", "ellipsis"],
    EnvironmentError: ["builtins", "OSError"],
    ExitType: ["_sitebuiltins", "Quitter"],
    FileType: ["_io", "FileIO"],
    FrameType: ["builtins", "frame"],
    FunctionType: ["builtins", "function"],
    GeneratorType: ["builtins", "generator"],
    GenericAliasIteratorType: ["builtins", "generic_alias_iterator"],
    GetSetDescriptorType: ["builtins", "getset_descriptor"],
    IOError: ["builtins", "OSError"],
    ItemGetterType: ["operator", "itemgetter"],
    LambdaType: ["builtins", "function"],
    MappingProxyType: ["builtins", "mappingproxy"],
    MemberDescriptorType: ["builtins", "member_descriptor"],
    MethodDescriptorType: ["builtins", "method_descriptor"],
    MethodType: ["builtins", "method"],
    MethodWrapperType: ["builtins", "method-wrapper"],
    ModuleType: ["builtins", "module"],
    NoneType: ["builtins", "NoneType"],
    NotImplementedType: ["builtins", "NotImplementedType"],
    OdictItemsType: ["builtins", "odict_items"],
    OdictKeysType: ["builtins", "odict_keys"],
    OdictValuesType: ["builtins", "odict_values"],
    PartialType: ["functools", "partial"],
    PyBufferedRandomType: ["_pyio", "BufferedRandom"],
    PyBufferedReaderType: ["_pyio", "BufferedReader"],
    PyBufferedWriterType: ["_pyio", "BufferedWriter"],
    PyCapsuleType: ["builtins", "PyCapsule"],
    PyTextWrapperType: ["_pyio", "TextIOWrapper"],
    SuperType: ["builtins", "super"],
    TextWrapperType: ["_io", "TextIOWrapper"],
    TracebackType: ["builtins", "traceback"],
    WrapperDescriptorType: ["builtins", "wrapper_descriptor"],
  });

/** The `[module, name]` of the type `_load_type(name)` returns, or null for a name it would not know. */
export function dillType(name: unknown): [string, string] | null {
  if (typeof name !== "string") return null;
  if (Object.hasOwn(DILL_TYPE_NAMES, name)) return DILL_TYPE_NAMES[name];
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !name.endsWith("Type")) {
    return ["builtins", name];
  }
  return null;
}
